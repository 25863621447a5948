//! Checkpoints: everything a run needs to continue exactly where it stopped, as bytes the page
//! can keep in IndexedDB, so that a reload, a closed tab or a lost GPU loses nothing.
//!
//! A checkpoint holds the [`TrainingConfig`], the weights (batch-norm statistics included), the
//! optimizer's state (Adam's moments and step counts, or SGD's velocity), the train/validation
//! split, this epoch's shuffled order and position in it, the epoch and step counters, both
//! [`SplitMix64`](super::SplitMix64) states, the training time and the epoch's running loss and
//! accuracy sums. The device RNG (dropout) needs nothing: the trainer reseeds it before every
//! step from the seed and the step number. So a resumed run takes the very steps the
//! uninterrupted one would have — bit for bit on the same backend — at an epoch boundary or in
//! the middle of one. It may resume on another device (WebGPU ↔ CPU): the data is plain f32.
//!
//! Taking one works like a step report: [`Trainer::checkpoint`](super::Trainer::checkpoint)
//! returns a [`PendingCheckpoint`] of device tensors, read with `read()` natively or
//! `read_async()` in a browser (where a blocking read panics on WebGPU), in one transaction.
//! The byte layout, shared with [`ModelFile`], is described in `checkpoint/format.rs`.

pub(crate) mod format;
mod model_file;
mod portable;
mod resume;
pub(crate) mod tensors;

use std::collections::BTreeMap;

use burn::config::{Config, ConfigError, config_to_json};
use burn::prelude::*;
use burn::tensor::{ExecutionError, Transaction};
use serde::{Deserialize, Serialize};

pub use format::{FORMAT_VERSION, FileKind};
use format::{Record, Values, Writer};
pub use model_file::{ModelFile, PendingModelFile};
pub use portable::MODEL_FORMAT;
use tensors::PendingTensors;

use super::{TrainError, TrainingConfig};

/// Largest batch and most epochs a checkpoint's config may ask for: far beyond the UI's, but
/// small enough that no step counter or index arithmetic of a hostile file can overflow.
const MAX_BATCH: usize = 1 << 20;
const MAX_EPOCHS: usize = 1 << 20;

/// Why bytes are not a usable checkpoint or model file, phrased for the person who sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the {file} is empty")]
    Empty { file: &'static str },
    #[error("this file is not an {expected}")]
    NotAtelier { expected: &'static str },
    #[error("this is an {found}, not an {expected}")]
    WrongFile { expected: &'static str, found: &'static str },
    #[error(
        "this {file} was written by another version of Atelier (format {found}; this one reads format {supported})"
    )]
    UnsupportedVersion { file: &'static str, found: u32, supported: u32 },
    #[error("the {file} is cut short: {detail}")]
    Truncated { file: &'static str, detail: String },
    #[error("the {file} is damaged: {detail}")]
    Corrupt { file: &'static str, detail: String },
    #[error("the weights do not fit the {model}: {detail}")]
    Architecture { model: &'static str, detail: String },
    #[error("the checkpoint was made with other training data: {0}")]
    OtherData(String),
    #[error("the checkpoint's run cannot continue: {0}")]
    Train(#[from] TrainError),
}

/// The host-side part of a checkpoint (serialised as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointMeta {
    config: TrainingConfig,
    epoch: usize,
    global_step: usize,
    /// Position in `order`, the epoch's shuffled training indices.
    cursor: usize,
    /// Images in the train split the run started on; resuming on another split is refused.
    train_split_images: usize,
    shuffle_rng: u64,
    augment_rng: u64,
    train_seconds: f64,
    epoch_train_seconds: f64,
    /// Wall time since the run's and the epoch's first step, evaluations included.
    elapsed_seconds: f64,
    epoch_elapsed_seconds: f64,
    epoch_images: usize,
    /// Adam's step count per parameter path (its moments are records).
    adam_steps: BTreeMap<String, usize>,
}

impl Config for CheckpointMeta {}

/// A whole run's state on the host: turn it into bytes, or resume from it.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    meta: CheckpointMeta,
    /// By module path.
    weights: BTreeMap<String, Record>,
    /// Named `adam/{path}/moment_1|moment_2` or `momentum/{path}/velocity`.
    optimizer: Vec<Record>,
    train_indices: Vec<u32>,
    validation_indices: Vec<u32>,
    order: Vec<u32>,
    epoch_loss_sum: Option<f32>,
    epoch_correct: Option<u32>,
}

impl Checkpoint {
    pub fn config(&self) -> &TrainingConfig {
        &self.meta.config
    }

    /// Epochs completed when the checkpoint was taken.
    pub fn epochs_done(&self) -> usize {
        self.meta.epoch
    }

    pub fn global_step(&self) -> usize {
        self.meta.global_step
    }

    /// The weights alone, as a portable model file (e.g. to export the model of a stopped run).
    /// Moved, not copied: the worker makes it right after the checkpoint's bytes, and a copy
    /// would raise its memory's high-water mark, which wasm never gives back.
    pub fn into_model_file(self) -> ModelFile {
        ModelFile::from_parts(self.meta.config.model, self.meta.config.normalization, self.weights)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::new(FileKind::Checkpoint, &to_json(&self.meta));
        let indices: [(&str, &[u32]); 3] = [
            ("split/train", &self.train_indices),
            ("split/validation", &self.validation_indices),
            ("epoch/order", &self.order),
        ];
        let sums = self.epoch_loss_sum.zip(self.epoch_correct);
        let weights: Vec<(String, &Record)> =
            self.weights.values().map(|record| (format!("weights/{}", record.name), record)).collect();
        writer.reserve(
            indices.iter().map(|(name, values)| Writer::encoded_len(name, 1, values.len())).sum::<usize>()
                + sums.map_or(0, |_| {
                    Writer::encoded_len("epoch/loss_sum", 1, 1) + Writer::encoded_len("epoch/correct", 1, 1)
                })
                + weights
                    .iter()
                    .map(|(name, r)| Writer::encoded_len(name, r.shape.len(), r.values.len()))
                    .sum::<usize>()
                + self
                    .optimizer
                    .iter()
                    .map(|r| Writer::encoded_len(&r.name, r.shape.len(), r.values.len()))
                    .sum::<usize>(),
        );
        indices.iter().for_each(|(name, values)| writer.u32s(name, values));
        if let Some((loss, correct)) = sums {
            writer.f32s("epoch/loss_sum", &[1], &[loss]);
            writer.u32s("epoch/correct", &[correct]);
        }
        for (name, record) in &weights {
            let Values::F32(values) = &record.values else {
                continue;
            };
            writer.f32s(name, &record.shape, values);
        }
        self.optimizer.iter().for_each(|record| writer.record(record));
        writer.finish()
    }

    /// Parses and checks a checkpoint: layout, config, and the weights against the config's
    /// architecture. What depends on the data (indices) is checked by the resume.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let file = FileKind::Checkpoint;
        let (meta, records) = format::read(file, bytes)?;
        let meta: CheckpointMeta = from_json(file, &meta)?;
        let corrupt = |detail: String| CheckpointError::Corrupt { file: file.title(), detail };
        meta.config.validate().map_err(corrupt)?;
        let config = &meta.config;
        if config.batch_size.max(config.eval_batch_size) > MAX_BATCH || config.epochs > MAX_EPOCHS {
            return Err(corrupt(format!(
                "its run asks for {} epochs of batches of {}",
                config.epochs, config.batch_size
            )));
        }
        model_file::check_model_config(&config.model, file)?;
        let mut checkpoint = Self {
            meta,
            weights: BTreeMap::new(),
            optimizer: Vec::new(),
            train_indices: Vec::new(),
            validation_indices: Vec::new(),
            order: Vec::new(),
            epoch_loss_sum: None,
            epoch_correct: None,
        };
        for Record { name, shape, values } in records {
            match (name.as_str(), values) {
                ("split/train", Values::U32(values)) => checkpoint.train_indices = values,
                ("split/validation", Values::U32(values)) => checkpoint.validation_indices = values,
                ("epoch/order", Values::U32(values)) => checkpoint.order = values,
                ("epoch/loss_sum", Values::F32(values)) => checkpoint.epoch_loss_sum = values.first().copied(),
                ("epoch/correct", Values::U32(values)) => checkpoint.epoch_correct = values.first().copied(),
                (path, values @ Values::F32(_)) if path.starts_with("weights/") => {
                    let path = path["weights/".len()..].to_owned();
                    checkpoint.weights.insert(path.clone(), Record { name: path, shape, values });
                }
                (state, values @ Values::F32(_)) if state.starts_with("adam/") || state.starts_with("momentum/") => {
                    checkpoint.optimizer.push(Record { name: state.to_owned(), shape, values });
                }
                (name, _) => return Err(corrupt(format!("unexpected array {name:?}"))),
            }
        }
        model_file::check_weights_fit(&checkpoint.meta.config.model, &checkpoint.weights)?;
        Ok(checkpoint)
    }
}

/// A checkpoint whose tensors are still on the device.
#[derive(Debug)]
pub struct PendingCheckpoint {
    meta: CheckpointMeta,
    weights: PendingTensors,
    optimizer: PendingTensors,
    train_indices: Vec<u32>,
    validation_indices: Vec<u32>,
    order: Vec<u32>,
    /// The epoch's running sums `[1]`, when a batch was trained this epoch.
    sums: Option<(Tensor<1>, Tensor<1, Int>)>,
}

impl PendingCheckpoint {
    /// Blocking read; native only (panics in a browser on WebGPU).
    pub fn read(self) -> Checkpoint {
        let data = self.transaction().execute();
        self.finish(data)
    }

    pub async fn read_async(self) -> Result<Checkpoint, ExecutionError> {
        let data = self.transaction().execute_async().await?;
        Ok(self.finish(data))
    }

    fn transaction(&self) -> Transaction {
        let transaction = self.optimizer.register(self.weights.register(Transaction::default()));
        match &self.sums {
            Some((loss, correct)) => transaction.register(loss.clone()).register(correct.clone()),
            None => transaction,
        }
    }

    fn finish(self, data: Vec<TensorData>) -> Checkpoint {
        let mut data = data.into_iter();
        let (weights, optimizer) = (self.weights.len(), self.optimizer.len());
        let weights = model_file::by_name(self.weights.into_records(data.by_ref().take(weights)));
        let optimizer = self.optimizer.into_records(data.by_ref().take(optimizer));
        let mut scalar = || data.next().and_then(|data| data.iter::<f64>().next());
        let (epoch_loss_sum, epoch_correct) = match self.sums {
            Some(_) => (scalar().map(|loss| loss as f32), scalar().map(|correct| correct as u32)),
            None => (None, None),
        };
        Checkpoint {
            meta: self.meta,
            weights,
            optimizer,
            train_indices: self.train_indices,
            validation_indices: self.validation_indices,
            order: self.order,
            epoch_loss_sum,
            epoch_correct,
        }
    }
}

/// Metadata as JSON, through Burn's `Config` (which carries serde_json for us).
fn to_json<C: Config>(meta: &C) -> String {
    config_to_json(meta)
}

fn from_json<C: Config>(file: FileKind, json: &str) -> Result<C, CheckpointError> {
    C::load_binary(json.as_bytes()).map_err(|error| {
        let reason = match error {
            ConfigError::InvalidFormat(reason) | ConfigError::FileNotFound(reason) => reason,
        };
        CheckpointError::Corrupt { file: file.title(), detail: format!("its description cannot be read ({reason})") }
    })
}
