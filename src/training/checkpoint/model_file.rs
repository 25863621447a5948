//! A trained model as a portable file: what it is (its config), what it expects (its input
//! normalisation), how well it did, and its weights — for the page's Export and Import.
//!
//! Unlike [`Model::to_bytes`] (burnpack, read synchronously, weights only), a model file is
//! self-describing, can be made in a browser on WebGPU (read with `read_async`), and is checked
//! against its own config on import, so a file never loads into the wrong architecture. It is
//! written as safetensors (`portable.rs`); files of Atelier's first format (`format.rs`) still
//! load.

use std::collections::BTreeMap;

use burn::prelude::*;
use burn::tensor::{ExecutionError, Transaction};
use serde::{Deserialize, Serialize};

use super::format::{self, FileKind, Record, Values};
use super::tensors::{self, PendingTensors};
use super::{CheckpointError, from_json};
use crate::model::{Model, ModelChoice, ModelConfig};
use crate::training::{Normalization, Trainer};

/// Widest layer (units or channels) and most hidden layers an imported config may ask for: the
/// app's own models stay far below, and a hostile file must not make the worker allocate.
const MAX_WIDTH: usize = 1 << 14;
const MAX_HIDDEN_LAYERS: usize = 16;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ModelMeta {
    model: ModelConfig,
    normalization: Normalization,
}

impl burn::config::Config for ModelMeta {}

/// A model's config, normalisation and weights, on the host.
#[derive(Debug, Clone)]
pub struct ModelFile {
    pub config: ModelConfig,
    pub normalization: Normalization,
    /// On the 10,000 test images, when the file's maker measured it: the page labels a model
    /// with it (the shipped one's "93.5 %").
    pub test_accuracy: Option<f32>,
    /// By module path, checked against `config` (see [`ModelFile::from_bytes`]).
    pub(super) weights: BTreeMap<String, Record>,
}

impl ModelFile {
    pub(crate) fn from_parts(
        config: ModelConfig,
        normalization: Normalization,
        weights: BTreeMap<String, Record>,
    ) -> Self {
        Self { config, normalization, test_accuracy: None, weights }
    }

    pub fn with_test_accuracy(self, test_accuracy: Option<f32>) -> Self {
        Self { test_accuracy, ..self }
    }

    pub fn kind(&self) -> ModelChoice {
        self.config.kind()
    }

    /// Number of weights (parameters and batch-norm statistics).
    pub fn weight_count(&self) -> usize {
        self.weights.values().map(|record| record.shape.iter().product::<usize>()).sum()
    }

    /// Parses and checks a file, safetensors or Atelier's first format: layout, config, and
    /// every weight's name, shape and value against the architecture the config describes. Any
    /// mismatch is an error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let file = FileKind::Model;
        let first_format = bytes.starts_with(b"ATLR") || b"ATLRMODL".starts_with(bytes);
        let model = if first_format {
            let (meta, records) = format::read(file, bytes)?;
            let meta: ModelMeta = from_json(file, &meta)?;
            Self::from_parts(meta.model, meta.normalization, by_name(records))
        } else {
            Self::from_safetensors(bytes)?
        };
        check_model_config(&model.config, file)?;
        check_weights_fit(&model.config, &model.weights)?;
        check_finite(&model.weights, file)?;
        Ok(model)
    }

    /// The model on `device` (plain or autodiff) with these weights.
    pub fn load(&self, device: &Device) -> Result<Model, CheckpointError> {
        check_model_config(&self.config, FileKind::Model)?;
        let model = self.config.init(device);
        tensors::check_weights(self.kind().title(), &tensors::shapes(&model), &self.weights)?;
        Ok(tensors::load_weights(model, self.weights.clone()))
    }
}

pub(crate) fn by_name(records: Vec<Record>) -> BTreeMap<String, Record> {
    records.into_iter().map(|record| (record.name.clone(), record)).collect()
}

/// Checks `weights` against the architecture `config` describes (built lazily on the CPU, so
/// no weight is allocated). `config` must have passed [`check_model_config`].
pub(crate) fn check_weights_fit(
    config: &ModelConfig,
    weights: &BTreeMap<String, Record>,
) -> Result<(), CheckpointError> {
    tensors::check_weights(config.kind().title(), &tensors::shapes(&config.init(&Device::flex())), weights)
}

/// Refuses configs whose model would be absurdly large, before anything is built from them.
pub(crate) fn check_model_config(config: &ModelConfig, file: FileKind) -> Result<(), CheckpointError> {
    let widths: Vec<usize> = match config {
        ModelConfig::Dense(dense) => {
            if dense.hidden.len() > MAX_HIDDEN_LAYERS {
                return Err(unbuildable(
                    file,
                    format!("{} hidden layers (at most {MAX_HIDDEN_LAYERS})", dense.hidden.len()),
                ));
            }
            check_dropout(dense.dropout, file)?;
            dense.hidden.clone()
        }
        ModelConfig::BaselineCnn(cnn) => vec![cnn.channels, cnn.hidden],
        ModelConfig::AtelierCnn(cnn) => {
            check_dropout(cnn.dropout, file)?;
            vec![cnn.channels_1, cnn.channels_2, cnn.hidden]
        }
    };
    match widths.into_iter().find(|width| !(1..=MAX_WIDTH).contains(width)) {
        Some(width) => Err(unbuildable(file, format!("a layer of width {width} (1 to {MAX_WIDTH})"))),
        None => Ok(()),
    }
}

/// A NaN or an infinity in the weights makes every answer NaN: such a file (e.g. saved from a
/// run that diverged) is refused rather than loaded.
pub(crate) fn check_finite(weights: &BTreeMap<String, Record>, file: FileKind) -> Result<(), CheckpointError> {
    for record in weights.values() {
        if let Values::F32(values) = &record.values
            && let Some(bad) = values.iter().find(|value| !value.is_finite())
        {
            return Err(CheckpointError::Corrupt {
                file: file.title(),
                detail: format!("{} holds {bad}: the model it was saved from had diverged", record.name),
            });
        }
    }
    Ok(())
}

fn check_dropout(dropout: f64, file: FileKind) -> Result<(), CheckpointError> {
    match (0.0..1.0).contains(&dropout) {
        true => Ok(()),
        false => Err(unbuildable(file, format!("a dropout of {dropout} (0 to 1)"))),
    }
}

fn unbuildable(file: FileKind, detail: String) -> CheckpointError {
    CheckpointError::Corrupt { file: file.title(), detail: format!("its model has {detail}") }
}

impl Trainer {
    /// The model being trained, as a model file still on the device (e.g. for Export).
    pub fn model_file(&self) -> PendingModelFile {
        PendingModelFile::new(self.model(), self.config().model.clone(), self.config().normalization)
    }
}

/// A model's weights still on the device; read it into a [`ModelFile`].
#[derive(Debug)]
pub struct PendingModelFile {
    config: ModelConfig,
    normalization: Normalization,
    weights: PendingTensors,
}

impl PendingModelFile {
    /// `config` must be the one `model` was built from.
    pub fn new(model: &Model, config: ModelConfig, normalization: Normalization) -> Self {
        Self { config, normalization, weights: PendingTensors::weights(model, "") }
    }

    /// Blocking read; native only (panics in a browser on WebGPU).
    pub fn read(self) -> ModelFile {
        let data = self.weights.register(Transaction::default()).execute();
        self.finish(data)
    }

    pub async fn read_async(self) -> Result<ModelFile, ExecutionError> {
        let data = self.weights.register(Transaction::default()).execute_async().await?;
        Ok(self.finish(data))
    }

    fn finish(self, data: Vec<TensorData>) -> ModelFile {
        ModelFile::from_parts(self.config, self.normalization, by_name(self.weights.into_records(data.into_iter())))
    }
}
