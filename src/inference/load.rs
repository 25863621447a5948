//! Loading the shipped pre-trained model, a safetensors model file
//! (`static/models/atelier-cnn.safetensors`) like any export.
//!
//! The bytes come from the network or the browser's storage, so anything can arrive: an HTML
//! error page, a truncated download, weights of another model. Each is an error to show, never
//! a panic in the worker.

use burn::prelude::*;
use thiserror::Error;

use crate::model::{Model, ModelChoice};
use crate::training::{CheckpointError, ModelFile, Normalization};

/// How the shipped weights (the Atelier CNN's default config, trained with `cargo run --release
/// --features engine --bin train -- --model atelier-cnn --epochs 5 --save
/// static/models/atelier-cnn.safetensors`) expect their input; their file says so too.
pub const PRETRAINED_NORMALIZATION: Normalization = Normalization::Standard;

/// The model the page offers as "Pre-trained Atelier CNN".
pub const PRETRAINED_MODEL: ModelChoice = ModelChoice::AtelierCnn;

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

/// The shipped model file, checked: an Atelier CNN expecting [`PRETRAINED_NORMALIZATION`].
pub fn pretrained_file(bytes: &[u8]) -> Result<ModelFile, LoadError> {
    shipped_file(bytes, PRETRAINED_MODEL)
}

/// A shipped model file, checked: a `model` expecting [`PRETRAINED_NORMALIZATION`]. The lesson
/// also ships a dense network (`static/models/atelier-dense.safetensors`, trained with `train
/// --model dense --hidden 128 --epochs 5 --save …`), to set beside the CNN.
pub fn shipped_file(bytes: &[u8], model: ModelChoice) -> Result<ModelFile, LoadError> {
    let file = ModelFile::from_bytes(bytes).map_err(|error| match error {
        CheckpointError::Empty { .. } => LoadError::Empty,
        CheckpointError::Architecture { detail, .. } => LoadError::WrongModel { model, reason: detail },
        other => LoadError::Unreadable(other.to_string()),
    })?;
    let wrong = |reason: String| Err(LoadError::WrongModel { model, reason });
    if file.kind() != model {
        return wrong(format!("the file holds a {}", file.kind().title()));
    }
    if file.normalization != PRETRAINED_NORMALIZATION {
        return wrong("the file expects other input normalisation".into());
    }
    Ok(file)
}

/// The shipped pre-trained weights loaded on `device`.
pub fn load_pretrained(bytes: &[u8], device: &Device) -> Result<Model, LoadError> {
    pretrained_file(bytes)?
        .load(device)
        .map_err(|error| LoadError::WrongModel { model: PRETRAINED_MODEL, reason: error.to_string() })
}
