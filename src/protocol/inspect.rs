//! Looking inside the two shipped models for the lesson's "why a CNN wins": what their first
//! layers look for, and what each answers as the chosen picture moves a few pixels.

use serde::{Deserialize, Serialize};

use super::ModelChoice;

/// One picture to look at, moved by `(dx, dy)` pixels (right and down are positive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectRequest {
    /// Grows with every request; the answer carries it back (the page shows only the newest).
    pub seq: u64,
    /// The model's 28×28 input, light on black.
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
    pub dx: i32,
    pub dy: i32,
}

/// Numbers to draw as a `side × side` picture, row-major (weights: signed; activations: ≥ 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    pub side: usize,
    pub values: Vec<f32>,
}

/// One model's view of the moved picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelView {
    pub model: ModelChoice,
    /// Ten probabilities summing to 1.
    pub probabilities: Vec<f32>,
    /// Which first-layer units are drawn (the strongest, strongest first).
    pub units: Vec<usize>,
    /// Their weights: 28×28 for a dense layer, 3×3 filters for a CNN.
    pub kernels: Vec<Picture>,
    /// Where each of those filters fired on the moved picture; empty for a dense layer.
    pub maps: Vec<Picture>,
}

/// The answer to an [`InspectRequest`]: the moved picture, and each shipped model's view of it
/// (or why that model could not be used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    pub seq: u64,
    pub dx: i32,
    pub dy: i32,
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
    pub dense: Result<ModelView, String>,
    pub cnn: Result<ModelView, String>,
}
