//! One forward + backward pass of the same weights on the same batch on two devices, compared.
//!
//! The worker runs it when WebGPU starts: a GPU whose kernels compute something else (e.g.
//! shaders refused for a missing feature) is caught before a learner trains on garbage. The
//! gradients compared are the input's and every parameter's, so each kernel of the backward
//! pass is covered (the weight gradients take other products than the input's).

use burn::module::{ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::{ExecutionError, Transaction};

use super::{Batcher, Normalization, SplitMix64};
use crate::data::{PIXELS_PER_IMAGE, Split, SplitKind};
use crate::model::{BaselineCnnConfig, Model, ModelConfig};
use crate::protocol::CrossCheck;

/// Images in the probe batch: odd, so that the GPU's products meet blocks cut by the matrix's
/// edge (the dense layers' 4 × 4 blocks on a software GPU) in the forward pass and in both
/// gradients, besides the 10 outputs.
const PROBE_IMAGES: usize = 15;

/// A fixed batch of noisy images, so the check needs no dataset.
fn probe_split() -> Split {
    let mut rng = SplitMix64::new(2026);
    let pixels = (0..PROBE_IMAGES * PIXELS_PER_IMAGE).map(|_| rng.below(256) as u8).collect();
    let labels = (0..PROBE_IMAGES).map(|i| (i % 10) as u8).collect();
    Split::from_parts(SplitKind::Test, pixels, labels)
}

/// Every parameter's gradient, flattened, in the module's order.
struct ParameterGradients<'a> {
    grads: &'a GradientsParams,
    found: Vec<Tensor<1>>,
}

impl ModuleVisitor for ParameterGradients<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.get::<D>(param.id) {
            self.found.push(grad.reshape([-1]));
        }
    }
}

/// The loss and the gradients with respect to the input pixels and to each parameter of `model`
/// on `device` (the input's first).
async fn loss_and_gradients(model: &Model, device: &Device) -> Result<(f32, Vec<Vec<f32>>), ExecutionError> {
    let device = device.clone().autodiff();
    let model = model.clone().fork(&device);
    let split = probe_split();
    let indices: Vec<u32> = (0..split.len() as u32).collect();
    let batch = Batcher::new(Normalization::Standard).batch(&split, &indices, None, &device);
    let images = batch.images.require_grad();
    let loss = CrossEntropyLossConfig::new().init(&device).forward(model.forward(images.clone()), batch.targets);
    let mut grads = loss.backward();
    let input = images.grad_remove(&mut grads).expect("the input requires a gradient");
    let params = GradientsParams::from_grads(grads, &model);
    let mut visitor = ParameterGradients { grads: &params, found: vec![input.reshape([-1])] };
    model.visit(&mut visitor);
    let transaction =
        visitor.found.into_iter().fold(Transaction::default().register(loss.inner()), Transaction::register);
    let data = transaction.execute_async().await?;
    let loss = data[0].iter::<f32>().next().unwrap_or(f32::NAN);
    Ok((loss, data[1..].iter().map(|d| d.iter::<f32>().collect()).collect()))
}

/// The largest difference between two gradients, relative to the reference's largest value.
fn relative_difference(reference: &[f32], candidate: &[f32]) -> f32 {
    if reference.len() != candidate.len() {
        return f32::INFINITY;
    }
    let scale = reference.iter().fold(0f32, |m, g| m.max(g.abs())).max(1e-12);
    reference.iter().zip(candidate).fold(0f32, |m, (a, b)| m.max((a - b).abs())) / scale
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
    let (loss_reference, reference_grads) = loss_and_gradients(reference_model, reference).await?;
    let (loss_candidate, candidate_grads) = loss_and_gradients(candidate_model, candidate).await?;
    let gradient_difference = if reference_grads.len() == candidate_grads.len() {
        reference_grads.iter().zip(&candidate_grads).fold(0f32, |m, (r, c)| m.max(relative_difference(r, c)))
    } else {
        f32::INFINITY
    };
    Ok(CrossCheck { loss_reference, loss_candidate, gradient_difference })
}
