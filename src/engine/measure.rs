//! Timing a workload on one device, for the race between WebGPU and the CPU (`chooser`).
//!
//! Each measurement warms up first (kernel compilation, first allocations), then times steps
//! with the loop's own pattern (one step's read overlapping the next step's work), so the
//! figure is what a run would see. Synthetic images: the timing does not depend on the pixels,
//! and the race need not wait for the dataset.

use burn::prelude::Device;

use super::shared::now;
use crate::data::{PIXELS_PER_IMAGE, Split, SplitKind};
use crate::inference::Classifier;
use crate::model::Model;
use crate::protocol::RunSettings;
use crate::training::{
    Batcher, Evaluation, Normalization, PendingStep, SplitMix64, Trainer, TrainingConfig, TrainingData,
};

/// Timed steps stop once this much time has passed (after at least one step)…
const TIMING_SECONDS: f64 = 0.25;
/// Images in the timed evaluation batch.
const EVAL_IMAGES: usize = 256;
/// …or after this many steps.
const MAX_TIMED_STEPS: usize = 12;

/// Random pixels and labels, enough for the warm-up and the timed steps of one epoch.
fn synthetic_split(images: usize) -> Split {
    let mut rng = SplitMix64::new(0x5EED);
    let pixels = (0..images * PIXELS_PER_IMAGE).map(|_| rng.below(256) as u8).collect();
    let labels = (0..images).map(|i| (i % 10) as u8).collect();
    Split::from_parts(SplitKind::Train, pixels, labels)
}

/// Training images per second of `settings` on `device`; `None` when the device failed or
/// `cancelled` said stop (checked between steps). Timing also stops at `deadline` (after one
/// timed step), so a slow device cannot hold the race up.
pub async fn time_training(
    settings: &RunSettings,
    device: &Device,
    deadline: f64,
    cancelled: impl Fn() -> bool,
) -> Option<f64> {
    let batch = settings.batch_size.max(1);
    let config = TrainingConfig::from(settings)
        .with_validation_size(0)
        .with_train_subset(None)
        .with_epochs(1)
        .with_augment(false);
    let data = TrainingData::new(synthetic_split(batch * (MAX_TIMED_STEPS + 2)), None);
    let mut trainer = Trainer::new(config, data, device).ok()?;
    trainer.step()?.read_async().await.ok()?;
    let start = now();
    let mut timed = 0;
    let mut in_flight: Option<PendingStep> = None;
    while timed < MAX_TIMED_STEPS {
        if cancelled() {
            return None;
        }
        let pending = trainer.step()?;
        if let Some(previous) = in_flight.replace(pending) {
            previous.read_async().await.ok()?;
        }
        timed += 1;
        if now() - start >= TIMING_SECONDS || now() >= deadline {
            break;
        }
    }
    in_flight?.read_async().await.ok()?;
    Some((timed * batch) as f64 / (now() - start).max(1e-6))
}

/// Evaluation images per second of the model `settings` builds (its weights do not change
/// the cost), in one large batch after a small one to warm up. Capped at [`EVAL_IMAGES`] so the
/// CPU's part of the race stays short (the rate hardly changes past a few hundred images).
pub async fn time_evaluation(settings: &RunSettings, device: &Device) -> Option<f64> {
    let config = TrainingConfig::from(settings);
    let batch = config.eval_batch_size.clamp(1, EVAL_IMAGES);
    let model = config.model.init(device);
    let split = std::sync::Arc::new(synthetic_split(batch));
    let run = |images: usize| {
        let indices = (0..images as u32).collect();
        Evaluation::new(&model, split.clone(), Some(indices), batch, Batcher::new(config.normalization)).finish()
    };
    run(8.min(batch)).read_async().await.ok()?;
    let start = now();
    run(batch).read_async().await.ok()?;
    Some(batch as f64 / (now() - start).max(1e-6))
}

/// Drawings classified per second (with the saliency map, as the page asks) by `model`, on
/// the device that holds it.
pub async fn time_classify(model: &Model, normalization: Normalization, cancelled: impl Fn() -> bool) -> Option<f64> {
    let classifier = Classifier::new(model, normalization);
    let split = synthetic_split(1);
    let pixels: &[u8; PIXELS_PER_IMAGE] = split.image(0).try_into().ok()?;
    classifier.predict_with_saliency(pixels).read_async().await.ok()?;
    let start = now();
    let mut timed = 0;
    while timed < MAX_TIMED_STEPS {
        if cancelled() {
            return None;
        }
        classifier.predict_with_saliency(pixels).read_async().await.ok()?;
        timed += 1;
        if now() - start >= TIMING_SECONDS {
            break;
        }
    }
    Some(timed as f64 / (now() - start).max(1e-6))
}
