//! Taking a [`Trainer`]'s checkpoint, and rebuilding a trainer from one.

use burn::prelude::*;

use super::model_file::check_model_config;
use super::tensors::{self, PendingTensors};
use super::{Checkpoint, CheckpointError, CheckpointMeta, FileKind, PendingCheckpoint};
use crate::training::trainer::EpochSums;
use crate::training::{SplitMix64, Trainer, TrainingData};

impl Trainer {
    /// Everything needed to continue this run exactly, still on the device: read it with `read()`
    /// natively or `read_async()` in a browser. Possible between any two calls: mid-epoch, after
    /// an epoch's last batch (before [`Trainer::end_epoch`]) or at an epoch boundary.
    pub fn checkpoint(&self) -> PendingCheckpoint {
        let now = (self.clock)();
        let (elapsed_seconds, epoch_elapsed_seconds) = self.resumed_wall.unwrap_or_else(|| {
            let since = |start: Option<f64>| start.map_or(0.0, |start| now - start);
            (since(self.run_started), if self.order.is_empty() { 0.0 } else { since(self.epoch_started) })
        });
        let (optimizer, adam_steps) = self.optimizer.pending();
        let meta = CheckpointMeta {
            config: self.config.clone(),
            epoch: self.epoch,
            global_step: self.global_step,
            cursor: self.cursor,
            train_split_images: self.data.train.len(),
            shuffle_rng: self.shuffle_rng.state(),
            augment_rng: self.augment_rng.state(),
            train_seconds: self.train_seconds,
            epoch_train_seconds: self.epoch_train_seconds,
            elapsed_seconds,
            epoch_elapsed_seconds,
            epoch_images: self.sums.images,
            adam_steps,
        };
        PendingCheckpoint {
            meta,
            weights: PendingTensors::weights(&self.model, ""),
            optimizer,
            train_indices: self.train_indices.clone(),
            validation_indices: self.validation_indices.clone(),
            order: self.order.clone(),
            sums: self.sums.loss.clone().zip(self.sums.correct.clone()),
        }
    }

    /// The checkpointed run, rebuilt on `device` (plain or autodiff, any backend: a checkpoint
    /// taken on WebGPU resumes on the CPU and the other way round) with the `data` it trained on.
    /// The next [`Trainer::step`] is the one the checkpointed run would have taken.
    ///
    /// Every index and tensor is checked first, so a damaged or foreign checkpoint is an error.
    pub fn resume(checkpoint: Checkpoint, data: TrainingData, device: &Device) -> Result<Self, CheckpointError> {
        let Checkpoint {
            meta,
            weights,
            optimizer,
            train_indices,
            validation_indices,
            order,
            epoch_loss_sum,
            epoch_correct,
        } = checkpoint;
        check_model_config(&meta.config.model, FileKind::Checkpoint)?;
        check_indices(&meta, data.train.len(), [&train_indices, &validation_indices, &order])?;
        if !(order.is_empty() || order.len() == train_indices.len()) || meta.cursor > order.len() {
            return Err(corrupt(format!(
                "its position {} in an epoch of {} images is impossible",
                meta.cursor,
                order.len()
            )));
        }
        let (epochs, steps_per_epoch) =
            (meta.config.epochs, train_indices.len().div_ceil(meta.config.batch_size.max(1)));
        let steps = steps_per_epoch * epochs;
        if meta.epoch > epochs || meta.global_step > steps || meta.adam_steps.values().any(|&n| n > steps) {
            let (step, epoch) = (meta.global_step, meta.epoch);
            return Err(corrupt(format!(
                "it is at step {step} and epoch {epoch} of a run of {steps} steps in {epochs} epochs"
            )));
        }

        let mut trainer = Trainer::new(meta.config.clone(), data, device)?;
        let shapes = tensors::shapes(&trainer.model);
        tensors::check_weights(meta.config.model.kind().title(), &shapes, &weights)?;
        trainer.model = tensors::load_weights(trainer.model, weights);
        // The optimizer and the epoch's sums live off the tape, on the inner device.
        let inner = trainer.device.clone().inner();
        trainer.optimizer = trainer.optimizer.restore(optimizer, &meta.adam_steps, &shapes, &inner)?;
        trainer.sums = EpochSums {
            loss: epoch_loss_sum.map(|loss| Tensor::from_data(TensorData::new(vec![loss], [1]), &inner)),
            // Built by arithmetic rather than from data so it has the backend's own int type.
            correct: epoch_correct.map(|correct| Tensor::<1, Int>::zeros([1], &inner).add_scalar(correct as i64)),
            images: meta.epoch_images,
        };

        trainer.train_indices = train_indices;
        trainer.validation_indices = validation_indices;
        trainer.order = order;
        trainer.cursor = meta.cursor;
        trainer.epoch = meta.epoch;
        trainer.global_step = meta.global_step;
        trainer.shuffle_rng = SplitMix64::new(meta.shuffle_rng);
        trainer.augment_rng = SplitMix64::new(meta.augment_rng);
        trainer.train_seconds = meta.train_seconds;
        trainer.epoch_train_seconds = meta.epoch_train_seconds;
        trainer.resumed_wall = Some((meta.elapsed_seconds, meta.epoch_elapsed_seconds));
        Ok(trainer)
    }
}

/// The split must be the one the run started on, and every index inside it.
fn check_indices(meta: &CheckpointMeta, images: usize, lists: [&[u32]; 3]) -> Result<(), CheckpointError> {
    if images != meta.train_split_images {
        return Err(CheckpointError::OtherData(format!(
            "its train split had {} images, this one has {images}",
            meta.train_split_images
        )));
    }
    if lists[0].is_empty() {
        return Err(corrupt("it has no training images".into()));
    }
    match lists.iter().flat_map(|list| list.iter()).find(|&&index| index as usize >= images) {
        Some(index) => Err(corrupt(format!("image index {index} is outside the train split of {images}"))),
        None => Ok(()),
    }
}

fn corrupt(detail: String) -> CheckpointError {
    CheckpointError::Corrupt { file: FileKind::Checkpoint.title(), detail }
}
