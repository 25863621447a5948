//! Classifying the user's picture: the request, the answer, which weights answer.

use serde::{Deserialize, Serialize};

use super::{BackendKind, ModelChoice};

/// Which weights classify the user's drawings and uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ClassifierChoice {
    /// The Atelier CNN shipped with the app, ready before any training.
    #[default]
    Pretrained,
    /// The weights of the last run in this session.
    LastRun,
}

impl ClassifierChoice {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pretrained => "pretrained",
            Self::LastRun => "last-run",
        }
    }
}

/// One image to classify: the model's 28×28 input (light on black), already preprocessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifyRequest {
    /// Grows with every request; the answer carries it back.
    pub seq: u64,
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
    pub model: ClassifierChoice,
    /// `performance.now()` of the input event on the page, for the latency readout.
    pub input_at: f64,
}

/// The answer to a [`ClassifyRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub seq: u64,
    pub model: ClassifierChoice,
    pub input_at: f64,
    /// Ten probabilities summing to 1.
    pub probabilities: Vec<f32>,
    /// 784 values in [0, 1]: how much each pixel drove the top class.
    pub saliency: Vec<f32>,
    pub backend: BackendKind,
}

/// Batch inference over the test set, for the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InferenceFigures {
    pub images: usize,
    pub seconds: f64,
    pub accuracy: f32,
    pub backend: BackendKind,
}

/// The shipped model, as its file describes it (the page's label reads it, not a literal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PretrainedModel {
    pub model: ModelChoice,
    /// On the 10,000 test images, as recorded in the file's metadata.
    pub test_accuracy: Option<f32>,
}

/// What the engine can classify with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClassifierStatus {
    /// The shipped model file is checked and ready, or failed to download or to load.
    Pretrained(Result<PretrainedModel, String>),
    /// A run left weights behind (its model, for the picker).
    LastRun(ModelChoice),
}
