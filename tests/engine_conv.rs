//! The Baseline CNN's own convolution (one input channel, 3×3) must compute what Burn's `Conv2d`
//! computes, forward and backward, up to float rounding: it sums in another order (and natively
//! Burn's matrix product fuses multiply-adds), so the figures agree to a few units in the last
//! place, not bit for bit.

use atelier::model::conv_3x3_one_channel;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::{Distribution, Gradients};

/// The largest difference, relative to the largest magnitude of `theirs`.
fn assert_close(ours: Tensor<4>, theirs: Tensor<4>, what: &str) {
    let values = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().unwrap();
    let (ours, theirs) = (values(ours), values(theirs));
    assert_eq!(ours.len(), theirs.len(), "{what}: sizes");
    let scale = theirs.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-12);
    let (worst, at) = ours.iter().zip(&theirs).enumerate().fold((0f32, 0), |(worst, at), (i, (a, b))| {
        let d = (a - b).abs() / scale;
        if d > worst || d.is_nan() { (d, i) } else { (worst, at) }
    });
    // Measured: at most 5.2e-7 and 6.0e-7 of the largest value in two runs (the filter gradients;
    // outputs 1.5e-7; "same" padding 4.0e-7 and 1.8e-7; the inputs are random, hence the margin).
    assert!(worst <= 1.5e-6, "{what}: element {at} is {} instead of {} ({worst:e} of the scale)", ours[at], theirs[at]);
}

/// Checks `ours` against `theirs` (each computed from its own copy of one input, `xs`): outputs,
/// then the filters' and the input's gradients for the loss `Σ output · upstream`. Returns both
/// gradients, for the checks a case adds.
fn assert_same_pass(
    conv: &Conv2d,
    (ours, theirs): (Tensor<4>, Tensor<4>),
    (ours_x, theirs_x): (&Tensor<4>, &Tensor<4>),
    upstream: Tensor<4>,
    shape: &str,
) -> (Gradients, Gradients) {
    assert_close(ours.clone().inner(), theirs.clone().inner(), &format!("{shape}: outputs"));
    let ours_grads = (ours * upstream.clone()).sum().backward();
    let theirs_grads = (theirs * upstream).sum().backward();
    let weight_grad = |g| conv.weight.grad(g).unwrap();
    assert_close(weight_grad(&ours_grads), weight_grad(&theirs_grads), &format!("{shape}: filter gradients"));
    assert_close(
        ours_x.grad(&ours_grads).unwrap(),
        theirs_x.grad(&theirs_grads).unwrap(),
        &format!("{shape}: input gradients"),
    );
    (ours_grads, theirs_grads)
}

#[test]
fn convolves_and_differentiates_as_burns_conv2d() {
    let device = Device::flex().autodiff();
    // The Baseline CNN's layer at batch 3; a row narrower than the SIMD lanes; one image (saliency).
    for (batch, channels, h, w) in [(3, 32, 28, 28), (2, 4, 5, 9), (1, 32, 28, 28)] {
        let conv = Conv2dConfig::new([1, channels], [3, 3]).init(&device);
        let x = Tensor::<4>::random([batch, 1, h, w], Distribution::Uniform(-1.0, 1.0), &device);
        let upstream = Tensor::<4>::random([batch, channels, h - 2, w - 2], Distribution::Uniform(-1.0, 1.0), &device);
        let (ours_x, theirs_x) = (x.clone().require_grad(), x.clone().require_grad());
        let bias = conv.bias.as_ref().unwrap().val();
        let ours = conv_3x3_one_channel(ours_x.clone(), conv.weight.val(), bias.clone());
        let theirs = conv.forward(theirs_x.clone());
        let shape = format!("{batch}×{channels}×{h}×{w}");
        let (ours_grads, theirs_grads) =
            assert_same_pass(&conv, (ours, theirs), (&ours_x, &theirs_x), upstream, &shape);
        let bias_grad = |g| conv.bias.as_ref().unwrap().grad(g).unwrap().reshape([1, 1, 1, channels]);
        assert_close(bias_grad(&ours_grads), bias_grad(&theirs_grads), &format!("{shape}: bias gradients"));

        // Without the tape (evaluation, classification).
        let (plain, weight, bias) = (x.inner(), conv.weight.val().inner(), bias.inner());
        let theirs = conv.valid().forward(plain.clone());
        assert_close(conv_3x3_one_channel(plain, weight, bias), theirs, &format!("{shape}: untracked"));
    }
}

/// The Atelier CNN's first convolution: "same" padding, no bias, through the same path on Flex.
#[test]
fn pads_like_burns_same_conv2d_without_bias() {
    use atelier::model::{computes_same_one_channel, conv_3x3_same_one_channel};
    use burn::nn::PaddingConfig2d;

    let device = Device::flex().autodiff();
    for (batch, channels, side) in [(3, 32, 28), (1, 4, 5)] {
        let conv =
            Conv2dConfig::new([1, channels], [3, 3]).with_padding(PaddingConfig2d::Same).with_bias(false).init(&device);
        assert!(computes_same_one_channel(&conv.weight.val()), "Flex takes the model's own path");
        let x = Tensor::<4>::random([batch, 1, side, side], Distribution::Uniform(-1.0, 1.0), &device);
        let upstream = Tensor::<4>::random([batch, channels, side, side], Distribution::Uniform(-1.0, 1.0), &device);
        let (ours_x, theirs_x) = (x.clone().require_grad(), x.require_grad());
        let ours = conv_3x3_same_one_channel(ours_x.clone(), conv.weight.val());
        let theirs = conv.forward(theirs_x.clone());
        let shape = format!("same {batch}×{channels}×{side}×{side}");
        assert_same_pass(&conv, (ours, theirs), (&ours_x, &theirs_x), upstream, &shape);
    }
    // Two input channels are not this path's.
    let two = Conv2dConfig::new([2, 8], [3, 3]).init(&device);
    assert!(!computes_same_one_channel(&two.weight.val()));
}
