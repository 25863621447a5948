//! What a run reports as it trains: its steps, epochs, predictions and memory (its state:
//! `run`).

use serde::{Deserialize, Serialize};

/// One training step as the charts and readouts need it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepPoint {
    pub epoch: usize,
    pub step: usize,
    pub steps_per_epoch: usize,
    pub global_step: usize,
    pub total_steps: usize,
    pub loss: f32,
    pub accuracy: f32,
    pub images_per_second: f64,
    pub elapsed_seconds: f64,
    pub eta_seconds: f64,
}

/// The end of an epoch: held-out figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochPoint {
    pub epoch: usize,
    pub epochs: usize,
    pub validation_loss: f32,
    pub validation_accuracy: f32,
    pub test_loss: f32,
    pub test_accuracy: f32,
    pub elapsed_seconds: f64,
    pub eta_seconds: f64,
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
