//! What a run reports as it trains: its steps, epochs, predictions and memory (its state:
//! `run`). The engine's trainer produces these very types (`training::reports` reads them off
//! the device); the page charts and stores them.

use serde::{Deserialize, Serialize};

use super::figure;

/// Host-side facts about one training step, known without touching the device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepInfo {
    /// 1-based.
    pub epoch: usize,
    /// 1-based, within the epoch.
    pub step: usize,
    pub steps_per_epoch: usize,
    /// 1-based, over the whole run.
    pub global_step: usize,
    /// Steps in the whole run (all epochs).
    pub total_steps: usize,
    pub batch_size: usize,
    /// The rate this step used (after the schedule).
    #[serde(with = "figure")]
    pub learning_rate: f64,
    /// Training images per second. The trainer gives this step's images over its wall time;
    /// the worker replaces it with the rate over the last seconds before sending (on a lazy GPU
    /// backend one step's time means little).
    #[serde(with = "figure")]
    pub images_per_second: f64,
    /// Training time so far, evaluations excluded.
    #[serde(with = "figure")]
    pub elapsed_seconds: f64,
    /// Remaining training time at the current rate (evaluations excluded).
    #[serde(with = "figure")]
    pub eta_seconds: f64,
    /// Workers that trained this step together (data parallel on the CPU); 1 alone.
    #[serde(default = "one")]
    pub workers: usize,
}

fn one() -> usize {
    1
}

/// One training step: what the trainer reads back and the charts and readouts show.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    pub info: StepInfo,
    /// Mean cross-entropy of the batch (NaN or infinite when the run diverged).
    #[serde(with = "figure")]
    pub loss: f32,
    /// Fraction of the batch classified correctly, in [0, 1].
    #[serde(with = "figure")]
    pub accuracy: f32,
}

/// Loss and accuracy over a whole set (validation or test).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub images: usize,
    /// Mean cross-entropy.
    #[serde(with = "figure")]
    pub loss: f32,
    /// In [0, 1].
    #[serde(with = "figure")]
    pub accuracy: f32,
}

/// The end of an epoch: the epoch's training figures and the held-out ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based.
    pub epoch: usize,
    pub epochs: usize,
    /// Mean over the epoch's batches (with dropout active, so not comparable to validation).
    #[serde(with = "figure")]
    pub train_loss: f32,
    #[serde(with = "figure")]
    pub train_accuracy: f32,
    /// `None` when that set is empty (no validation images held out, no test split).
    pub validation: Option<EvalReport>,
    pub test: Option<EvalReport>,
    /// Training images per second over the epoch, evaluations excluded.
    #[serde(with = "figure")]
    pub images_per_second: f64,
    /// This epoch, its evaluations included.
    #[serde(with = "figure")]
    pub epoch_seconds: f64,
    /// The run so far, evaluations included.
    #[serde(with = "figure")]
    pub elapsed_seconds: f64,
    /// Remaining epochs at the mean epoch time so far.
    #[serde(with = "figure")]
    pub eta_seconds: f64,
}

impl EpochReport {
    /// The charts' figures: NaN where the set is empty (a gap in the curve).
    pub fn validation_loss(&self) -> f32 {
        self.validation.map_or(f32::NAN, |r| r.loss)
    }

    pub fn validation_accuracy(&self) -> f32 {
        self.validation.map_or(f32::NAN, |r| r.accuracy)
    }

    pub fn test_loss(&self) -> f32 {
        self.test.map_or(f32::NAN, |r| r.loss)
    }

    pub fn test_accuracy(&self) -> f32 {
        self.test.map_or(f32::NAN, |r| r.accuracy)
    }
}

/// The engine's memory once an epoch's work is all done (evaluation, predictions, checkpoint),
/// so every epoch is measured at the same point and a leak shows as growth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EngineMemory {
    pub epoch: usize,
    /// The worker's wasm linear memory (it never shrinks: it is the high-water mark).
    pub wasm_bytes: f64,
    /// Bytes the GPU allocator holds for live tensors / in all, where the backend reports it.
    pub device_bytes_in_use: Option<u64>,
    pub device_bytes_reserved: Option<u64>,
}

/// Every test image's class probabilities after an epoch: row `i` (10 values) is test image `i`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestPredictions {
    /// The page's id of the run (see `FromEngine::Steps`).
    pub run: u32,
    pub epoch: usize,
    /// Sent as bytes: the worker codec (bincode) decodes a `Vec<f32>` one number at a time,
    /// 100,000 of them on the page's main thread at every epoch end.
    #[serde(with = "f32_bytes")]
    pub probabilities: Vec<f32>,
}

/// `Vec<f32>` as little-endian bytes (one length prefix, then a copy) instead of a sequence.
mod f32_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[f32], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        serializer.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f32>, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(deserializer)?;
        if bytes.len() % 4 != 0 {
            return Err(serde::de::Error::custom("probabilities are not whole f32 values"));
        }
        Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }
}
