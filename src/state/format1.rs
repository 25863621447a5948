//! Saved runs of format 1 (before the page and the engine shared their report types): each
//! step and epoch was a flat record, and a figure that was NaN (an empty validation set, a
//! diverged loss) was written as `null`. Read here into today's reports, so no run is lost.

use serde::Deserialize;

use crate::data::SplitKind;
use crate::protocol::{EpochReport, EvalReport, RunSettings, StepInfo, StepReport, figure};

/// A step as format 2 stores it, or as format 1 did.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum SavedStep {
    Now(StepReport),
    Format1(StepPoint),
}

/// An epoch as format 2 stores it, or as format 1 did.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum SavedEpoch {
    Now(EpochReport),
    Format1(EpochPoint),
}

#[derive(Debug, Deserialize)]
pub(super) struct StepPoint {
    epoch: usize,
    step: usize,
    steps_per_epoch: usize,
    global_step: usize,
    total_steps: usize,
    #[serde(with = "figure")]
    loss: f32,
    #[serde(with = "figure")]
    accuracy: f32,
    #[serde(with = "figure")]
    images_per_second: f64,
    #[serde(with = "figure")]
    elapsed_seconds: f64,
    #[serde(with = "figure")]
    eta_seconds: f64,
}

#[derive(Debug, Deserialize)]
pub(super) struct EpochPoint {
    epoch: usize,
    epochs: usize,
    #[serde(with = "figure")]
    validation_loss: f32,
    #[serde(with = "figure")]
    validation_accuracy: f32,
    #[serde(with = "figure")]
    test_loss: f32,
    #[serde(with = "figure")]
    test_accuracy: f32,
    #[serde(with = "figure")]
    elapsed_seconds: f64,
    #[serde(with = "figure")]
    eta_seconds: f64,
}

impl SavedStep {
    /// Format 1 kept neither the batch nor the scheduled rate of a step: the run's settings
    /// stand in (nothing on the page reads them from saved steps).
    pub fn report(self, settings: &RunSettings) -> StepReport {
        match self {
            Self::Now(report) => report,
            Self::Format1(p) => StepReport {
                info: StepInfo {
                    epoch: p.epoch,
                    step: p.step,
                    steps_per_epoch: p.steps_per_epoch,
                    global_step: p.global_step,
                    total_steps: p.total_steps,
                    batch_size: settings.batch_size,
                    learning_rate: settings.learning_rate,
                    images_per_second: p.images_per_second,
                    elapsed_seconds: p.elapsed_seconds,
                    eta_seconds: p.eta_seconds,
                    workers: 1,
                },
                loss: p.loss,
                accuracy: p.accuracy,
            },
        }
    }
}

impl SavedEpoch {
    /// Format 1 kept no training figures for an epoch (NaN: not shown) and wrote NaN for an
    /// empty held-out set (here: none).
    pub fn report(self, settings: &RunSettings) -> EpochReport {
        let set = |images: usize, loss: f32, accuracy: f32| {
            (loss.is_finite() || accuracy.is_finite()).then_some(EvalReport { images, loss, accuracy })
        };
        match self {
            Self::Now(report) => report,
            Self::Format1(p) => EpochReport {
                epoch: p.epoch,
                epochs: p.epochs,
                train_loss: f32::NAN,
                train_accuracy: f32::NAN,
                validation: set(settings.validation_size, p.validation_loss, p.validation_accuracy),
                test: set(SplitKind::Test.expected_count(), p.test_loss, p.test_accuracy),
                images_per_second: f64::NAN,
                epoch_seconds: f64::NAN,
                elapsed_seconds: p.elapsed_seconds,
                eta_seconds: p.eta_seconds,
            },
        }
    }
}
