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
    pub probabilities: Vec<f32>,
}
