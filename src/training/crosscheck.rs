//! One forward + backward pass of the same weights on the same batch on two devices, compared.
//!
//! The worker runs it when WebGPU starts: a GPU whose kernels compute something else (e.g.
//! shaders refused for a missing feature) is caught before a learner trains on garbage.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use burn::tensor::{ExecutionError, Transaction};

use super::{Batcher, Normalization, SplitMix64};
use crate::data::{PIXELS_PER_IMAGE, Split, SplitKind};
use crate::model::{BaselineCnnConfig, Model, ModelConfig};
use crate::protocol::CrossCheck;

/// A fixed batch of 16 noisy images, so the check needs no dataset.
fn probe_split() -> Split {
    let mut rng = SplitMix64::new(2026);
    let pixels = (0..16 * PIXELS_PER_IMAGE).map(|_| rng.below(256) as u8).collect();
    let labels = (0..16).map(|i| (i % 10) as u8).collect();
    Split::from_parts(SplitKind::Test, pixels, labels)
}

/// The loss and the gradient with respect to the input pixels of `model` on `device`.
async fn loss_and_input_gradient(model: &Model, device: &Device) -> Result<(f32, Vec<f32>), ExecutionError> {
    let device = device.clone().autodiff();
    let model = model.clone().fork(&device);
    let split = probe_split();
    let indices: Vec<u32> = (0..split.len() as u32).collect();
    let batch = Batcher::new(Normalization::Standard).batch(&split, &indices, None, &device);
    let images = batch.images.require_grad();
    let loss = CrossEntropyLossConfig::new().init(&device).forward(model.forward(images.clone()), batch.targets);
    let grads = loss.backward();
    let gradient = images.grad(&grads).expect("the input requires a gradient");
    let data = Transaction::default().register(loss.inner()).register(gradient).execute_async().await?;
    let loss = data[0].iter::<f32>().next().unwrap_or(f32::NAN);
    let gradient = data[1].iter::<f32>().collect();
    Ok((loss, gradient))
}

/// Compares `candidate` with `reference` on a Baseline CNN initialised from `seed` on the
/// reference device (both devices then hold the very same weights).
pub async fn cross_check(reference: &Device, candidate: &Device, seed: u64) -> Result<CrossCheck, ExecutionError> {
    let model = probe_model(reference, seed);
    compare(&model, reference, &model, candidate).await
}

/// The Baseline CNN the check runs, initialised from `seed` on `device`.
pub fn probe_model(device: &Device, seed: u64) -> Model {
    let init_device = device.clone().autodiff();
    init_device.seed(seed);
    ModelConfig::BaselineCnn(BaselineCnnConfig::new()).init(&init_device)
}

/// [`cross_check`] with a model for each side: the same weights must agree; different ones
/// (a GPU computing something else) must not.
pub async fn compare(
    reference_model: &Model,
    reference: &Device,
    candidate_model: &Model,
    candidate: &Device,
) -> Result<CrossCheck, ExecutionError> {
    let (loss_reference, g_ref) = loss_and_input_gradient(reference_model, reference).await?;
    let (loss_candidate, g_cand) = loss_and_input_gradient(candidate_model, candidate).await?;
    let scale = g_ref.iter().fold(0f32, |m, g| m.max(g.abs())).max(1e-12);
    let gradient_difference = if g_ref.len() == g_cand.len() {
        g_ref.iter().zip(&g_cand).fold(0f32, |m, (a, b)| m.max((a - b).abs())) / scale
    } else {
        f32::INFINITY
    };
    Ok(CrossCheck { loss_reference, loss_candidate, gradient_difference })
}
