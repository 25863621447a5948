//! Loading saved weights: the shipped pre-trained model, or any model saved with
//! [`Model::to_bytes`].
//!
//! The bytes come from the network or the browser's storage, so anything can arrive: an HTML
//! error page, a truncated download, weights of another model. Each is an error to show, never
//! a panic in the worker.

use burn::prelude::*;
use burn::store::RecordError;
use thiserror::Error;

use crate::model::{Model, ModelChoice, ModelConfig};
use crate::training::Normalization;

/// How the shipped weights (`static/models/atelier-cnn.bpk`, the Atelier CNN's default config,
/// trained with `cargo run --release --features engine --bin train -- --model atelier-cnn
/// --epochs 5 --save static/models/atelier-cnn.bpk`) expect their input.
pub const PRETRAINED_NORMALIZATION: Normalization = Normalization::Standard;

/// Why saved weights could not be loaded, phrased for the person who sees it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoadError {
    #[error("the model file is empty")]
    Empty,
    #[error("not a saved model, or a damaged one ({0})")]
    Unreadable(String),
    #[error("these weights do not belong to the {} ({reason})", model.title())]
    WrongModel { model: ModelChoice, reason: String },
}

/// The shipped pre-trained weights loaded into the Atelier CNN (default config) on `device`.
pub fn load_pretrained(bytes: Vec<u8>, device: &Device) -> Result<Model, LoadError> {
    load_model(&ModelChoice::AtelierCnn.default_config(), bytes, device)
}

/// Weights saved by [`Model::to_bytes`] loaded into a model built from `config` on `device`.
pub fn load_model(config: &ModelConfig, bytes: Vec<u8>, device: &Device) -> Result<Model, LoadError> {
    if bytes.is_empty() {
        return Err(LoadError::Empty);
    }
    config.init(device).load_bytes(bytes).map_err(|error| match error {
        RecordError::Io(reason) => LoadError::Unreadable(reason),
        RecordError::Validation(reason) => LoadError::WrongModel { model: config.kind(), reason },
    })
}
