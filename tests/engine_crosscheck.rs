//! The device cross-check the browser runs between WebGPU and Flex, here between two Flex
//! devices: identical kernels must agree exactly, and the check must notice different weights.

use atelier::protocol::CrossCheck;
use atelier::training::{compare, cross_check, probe_model};
use burn::prelude::Device;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    // Flex computes eagerly: the future is ready at its first poll.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("Flex readback should be immediate"),
    }
}

#[test]
fn identical_devices_agree() {
    let check = block_on(cross_check(&Device::flex(), &Device::flex(), 7)).unwrap();
    assert!(check.loss_reference.is_finite() && check.loss_reference > 0.0, "{check:?}");
    assert_eq!(check.loss_reference, check.loss_candidate);
    assert!(check.gradient_difference < 1e-6, "{check:?}");
    assert!(check.agrees());
}

#[test]
fn a_device_computing_with_other_weights_is_caught() {
    // The candidate side perturbed: the same check, but its model starts from another seed,
    // as a GPU whose kernels compute something else would.
    let device = Device::flex();
    let check = block_on(compare(&probe_model(&device, 7), &device, &probe_model(&device, 8), &device)).unwrap();
    assert!(!check.agrees(), "{check:?}");
    assert!(check.gradient_difference > 10.0 * CrossCheck::TOLERANCE, "{check:?}");
}

#[test]
fn a_wrong_result_is_caught() {
    let wrong = CrossCheck { loss_reference: 2.30, loss_candidate: 2.39, gradient_difference: 0.0 };
    assert!(!wrong.agrees());
    let wrong = CrossCheck { loss_reference: 2.30, loss_candidate: 2.30, gradient_difference: 0.4 };
    assert!(!wrong.agrees());
}
