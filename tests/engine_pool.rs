//! The CNNs' own 2×2 max pool must be Burn's, value for value and gradient for gradient: the
//! shipped models, the recorded lesson runs and every exact figure the tests hold were made
//! with Burn's.

use atelier::model::max_pool_2x2;
use atelier::training::SplitMix64;
use burn::nn::pool::MaxPool2dConfig;
use burn::prelude::*;

/// Small whole numbers, so that windows hold ties (which input the gradient goes to is then
/// decided by the order the window is read in), and a NaN or two.
fn input(shape: [usize; 4], seed: u64, device: &Device) -> Tensor<4> {
    let mut rng = SplitMix64::new(seed);
    let values: Vec<f32> = (0..shape.iter().product::<usize>())
        .map(|_| match rng.below(50) {
            0 => f32::NAN,
            n => (n % 4) as f32 - 1.0,
        })
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Bit for bit (a NaN equals a NaN), naming the first element that differs.
fn assert_same(ours: Tensor<4>, theirs: Tensor<4>, what: &str) {
    let bits =
        |t: Tensor<4>| t.into_data().try_to_vec::<f32>().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let (ours, theirs) = (bits(ours), bits(theirs));
    assert_eq!(ours.len(), theirs.len(), "{what}: sizes");
    if let Some(i) = (0..ours.len()).find(|&i| ours[i] != theirs[i]) {
        let value = |b: u32| f32::from_bits(b);
        panic!("{what}: element {i} is {} instead of {}", value(ours[i]), value(theirs[i]));
    }
}

#[test]
fn pools_and_differentiates_as_burns_max_pool() {
    let burns = MaxPool2dConfig::new([2, 2]).init();
    let device = Device::flex().autodiff();
    // The Baseline CNN's pool, the Atelier CNN's two, and odd sides (the last row or column dropped).
    for (seed, shape) in [[2, 3, 26, 26], [2, 3, 28, 28], [2, 5, 14, 14], [3, 2, 7, 5]].into_iter().enumerate() {
        let x = input(shape, seed as u64, &device);
        let weights = Tensor::<4>::random(
            [shape[0], shape[1], shape[2] / 2, shape[3] / 2],
            burn::tensor::Distribution::Uniform(-1.0, 1.0),
            &device,
        );
        let ours = x.clone().require_grad();
        let theirs = x.clone().require_grad();
        let (pooled, expected) = (max_pool_2x2(ours.clone()), burns.forward(theirs.clone()));
        assert_same(pooled.clone().inner(), expected.clone().inner(), &format!("maxima of {shape:?}"));
        let ours = ours.grad(&(pooled * weights.clone()).sum().backward()).unwrap();
        let theirs = theirs.grad(&(expected * weights).sum().backward()).unwrap();
        assert_same(ours, theirs, &format!("gradient of {shape:?}"));
        // Without the tape (evaluation, classification).
        let plain = x.inner();
        assert_same(max_pool_2x2(plain.clone()), burns.forward(plain), &format!("untracked {shape:?}"));
    }
}
