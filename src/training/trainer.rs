//! The training loop, turned inside out: one call per batch.
//!
//! A browser worker has to answer "pause", "stop" and "send me the numbers" between batches, and
//! cannot block on the device to read a loss. So [`Trainer::step`] trains exactly one batch and
//! returns a [`PendingStep`] whose loss and accuracy stay on the device until the caller reads
//! them (synchronously natively, with `read_async` in the browser). The epoch boundary is the
//! caller's too: when `step` returns `None`, [`Trainer::end_epoch`] evaluates and moves on.

use std::sync::Arc;

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::GradientsParams;
use burn::prelude::*;

use super::clock::{Clock, default_clock};
use super::eval::correct_count;
use super::optimizer::TrainingOptimizer;
use super::{
    Batcher, EpochReport, Evaluation, PendingEpoch, PendingEval, PendingShardEvaluation, PendingStep, SplitMix64,
    StepInfo, TrainingConfig,
};
use crate::data::Split;
use crate::model::Model;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainError {
    #[error("invalid training config: {0}")]
    InvalidConfig(String),
    #[error("the train split has {available} images, fewer than the {validation} held out for validation plus one")]
    NotEnoughImages { available: usize, validation: usize },
}

/// The images a run trains and is tested on; shared (not copied) with evaluations.
#[derive(Debug, Clone)]
pub struct TrainingData {
    pub train: Arc<Split>,
    pub test: Option<Arc<Split>>,
}

impl TrainingData {
    pub fn new(train: Split, test: Option<Split>) -> Self {
        Self { train: Arc::new(train), test: test.map(Arc::new) }
    }
}

/// Which images to evaluate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalSet {
    Validation,
    Test,
}

/// Running sums of one epoch's training batches, kept on the device.
pub(super) struct EpochSums {
    pub(super) loss: Option<Tensor<1>>,
    pub(super) correct: Option<Tensor<1, Int>>,
    pub(super) images: usize,
}

impl EpochSums {
    pub(super) const EMPTY: Self = Self { loss: None, correct: None, images: 0 };

    fn add(&mut self, loss: Tensor<1>, correct: Tensor<1, Int>, images: usize) {
        self.loss = Some(self.loss.take().map_or(loss.clone(), |sum| sum + loss));
        self.correct = Some(self.correct.take().map_or(correct.clone(), |sum| sum + correct));
        self.images += images;
    }
}

/// One run's training, a batch at a time. Checkpoint and resume: `super::checkpoint`, which is
/// why the fields are visible to the `training` module.
pub struct Trainer {
    pub(super) config: TrainingConfig,
    pub(super) device: Device,
    pub(super) model: Model,
    pub(super) optimizer: TrainingOptimizer,
    pub(super) loss: CrossEntropyLoss,
    pub(super) batcher: Batcher,
    pub(super) data: TrainingData,
    pub(super) train_indices: Vec<u32>,
    pub(super) validation_indices: Vec<u32>,
    /// This epoch's shuffled `train_indices`.
    pub(super) order: Vec<u32>,
    pub(super) cursor: usize,
    /// Epochs completed (0-based index of the current one).
    pub(super) epoch: usize,
    pub(super) global_step: usize,
    pub(super) shuffle_rng: SplitMix64,
    pub(super) augment_rng: SplitMix64,
    pub(super) sums: EpochSums,
    pub(super) clock: Clock,
    /// Training time (steps only, so pauses don't count), over the run and this epoch.
    pub(super) train_seconds: f64,
    pub(super) epoch_train_seconds: f64,
    pub(super) run_started: Option<f64>,
    pub(super) epoch_started: Option<f64>,
    /// Wall time of the run and of this epoch before a resume, turned into `run_started` and
    /// `epoch_started` on the next clock reading (the clock may still be replaced until then).
    pub(super) resumed_wall: Option<(f64, f64)>,
    /// Data parallel (`super::parallel`): when the pending batch's shard began, and the
    /// augmentation stream past that batch, both taken up when its summed gradient is applied.
    pub(super) shard_started: Option<f64>,
    pub(super) shard_augment: Option<SplitMix64>,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("model", &self.config.model.kind())
            .field("epoch", &self.epoch)
            .field("step", &self.global_step)
            .finish_non_exhaustive()
    }
}

impl Trainer {
    /// Seeds the device, builds the model and optimizer, and splits off the validation images.
    /// `device` may be plain or autodiff; training always runs on its autodiff form.
    pub fn new(config: TrainingConfig, data: TrainingData, device: &Device) -> Result<Self, TrainError> {
        config.validate().map_err(TrainError::InvalidConfig)?;
        let available = data.train.len();
        if available <= config.validation_size {
            return Err(TrainError::NotEnoughImages { available, validation: config.validation_size });
        }
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let model = config.model.init(&device);
        // Burn initialises parameters lazily, at first use. Do it now, under the run's seed: at
        // the first step the device RNG is already reseeded for dropout, and the weights must not
        // depend on whether a checkpoint touched them first.
        let _ = model.valid();

        let mut seeds = SplitMix64::new(config.seed);
        let mut indices: Vec<u32> = (0..available as u32).collect();
        seeds.fork().shuffle(&mut indices);
        let mut train_indices = indices.split_off(config.validation_size);
        let validation_indices = indices;
        if let Some(subset) = config.train_subset {
            train_indices.truncate(subset);
        }

        Ok(Self {
            optimizer: TrainingOptimizer::new(&config),
            loss: CrossEntropyLossConfig::new().init(&device),
            batcher: Batcher::new(config.normalization),
            shuffle_rng: seeds.fork(),
            augment_rng: seeds.fork(),
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
            global_step: 0,
            sums: EpochSums::EMPTY,
            clock: default_clock,
            train_seconds: 0.0,
            epoch_train_seconds: 0.0,
            run_started: None,
            epoch_started: None,
            resumed_wall: None,
            shard_started: None,
            shard_augment: None,
            config,
            device,
            model,
            data,
            train_indices,
            validation_indices,
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &TrainingConfig {
        &self.config
    }

    /// The model being trained (autodiff); use `.valid()` for inference.
    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn into_model(self) -> Model {
        self.model
    }

    pub fn train_images(&self) -> usize {
        self.train_indices.len()
    }

    pub fn validation_images(&self) -> usize {
        self.validation_indices.len()
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.train_indices.len().div_ceil(self.config.batch_size)
    }

    /// Epochs completed so far.
    pub fn epochs_done(&self) -> usize {
        self.epoch
    }

    pub fn global_step(&self) -> usize {
        self.global_step
    }

    pub fn is_finished(&self) -> bool {
        self.epoch >= self.config.epochs
    }

    /// All of this epoch's batches are trained; [`Trainer::end_epoch`] is next.
    pub fn epoch_complete(&self) -> bool {
        !self.order.is_empty() && self.cursor >= self.order.len()
    }

    /// Trains one batch. `None` when the epoch is complete (call [`Trainer::end_epoch`]) or the
    /// run is finished.
    pub fn step(&mut self) -> Option<PendingStep> {
        // A shard computed for data-parallel training and not applied is forgotten.
        (self.shard_started, self.shard_augment) = (None, None);
        let (start, end) = self.next_batch()?;
        self.device.seed(dropout_seed(self.config.seed, self.global_step));
        let indices = &self.order[self.cursor..end];
        let augment = self.config.augment.then_some(&mut self.augment_rng);
        let batch = self.batcher.batch(&self.data.train, indices, augment, &self.device);
        let images = end - self.cursor;
        self.cursor = end;

        let logits = self.model.forward(batch.images);
        let loss = self.loss.forward(logits.clone(), batch.targets.clone());
        let correct = correct_count(logits, batch.targets);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let learning_rate = self.learning_rate();
        self.model = self.optimizer.step(self.global_step, learning_rate, self.model.clone(), grads);
        Some(self.finish_step(start, images, learning_rate, loss.inner(), correct))
    }

    /// The start time and the end (in `order`) of the next batch, beginning an epoch if needed;
    /// `None` when the epoch is complete or the run finished. Moves no cursor.
    pub(super) fn next_batch(&mut self) -> Option<(f64, usize)> {
        if self.is_finished() || self.epoch_complete() {
            return None;
        }
        let start = (self.clock)();
        self.restore_wall_clock(start);
        if self.order.is_empty() {
            self.begin_epoch(start);
        }
        Some((start, (self.cursor + self.config.batch_size).min(self.order.len())))
    }

    /// Counts a trained batch of `images` (its mean `loss` and `correct` predictions) and times it.
    pub(super) fn finish_step(
        &mut self,
        start: f64,
        images: usize,
        learning_rate: f64,
        loss: Tensor<1>,
        correct: Tensor<1, Int>,
    ) -> PendingStep {
        self.sums.add(loss.clone() * images as f32, correct.clone(), images);
        self.global_step += 1;

        let now = (self.clock)();
        let step_seconds = now - start;
        self.train_seconds += now - start;
        self.epoch_train_seconds += now - start;
        let total_steps = self.steps_per_epoch() * self.config.epochs;
        let mean_step = self.train_seconds / self.global_step as f64;
        let info = StepInfo {
            epoch: self.epoch + 1,
            step: self.cursor.div_ceil(self.config.batch_size),
            steps_per_epoch: self.steps_per_epoch(),
            global_step: self.global_step,
            total_steps,
            batch_size: images,
            learning_rate,
            images_per_second: images as f64 / step_seconds.max(1e-9),
            elapsed_seconds: self.train_seconds,
            eta_seconds: mean_step * total_steps.saturating_sub(self.global_step) as f64,
            workers: 1,
        };
        PendingStep { info, loss, correct }
    }

    /// The scheduled rate for the next step.
    pub fn learning_rate(&self) -> f64 {
        let total = (self.steps_per_epoch() * self.config.epochs).max(1);
        self.config.schedule.rate(self.config.learning_rate, self.global_step as f64 / total as f64)
    }

    /// After a resume, places the run's and the epoch's start in this session's clock.
    fn restore_wall_clock(&mut self, now: f64) {
        if let Some((run, epoch)) = self.resumed_wall.take() {
            self.run_started = Some(now - run);
            self.epoch_started = (!self.order.is_empty()).then_some(now - epoch);
        }
    }

    fn begin_epoch(&mut self, now: f64) {
        self.order = self.train_indices.clone();
        self.shuffle_rng.shuffle(&mut self.order);
        self.cursor = 0;
        self.sums = EpochSums::EMPTY;
        self.epoch_train_seconds = 0.0;
        self.run_started.get_or_insert(now);
        self.epoch_started = Some(now);
    }

    /// Trains whatever is left of the epoch, evaluates on the validation and test images and
    /// moves on to the next epoch. Natively this is the whole epoch in one call.
    pub fn end_epoch(&mut self) -> PendingEpoch {
        self.end_epoch_on(None, 1)
    }

    /// [`Trainer::end_epoch`], evaluating `eval_model` (these weights, on another device where
    /// evaluation is faster) instead of the model on the training device, and only the first of
    /// `shards` parts of each set when other replicas evaluate the rest
    /// ([`Trainer::evaluate_shard`], added with [`PendingEpoch::add_part`]).
    pub fn end_epoch_on(&mut self, eval_model: Option<&Model>, shards: usize) -> PendingEpoch {
        while self.step().is_some() {}
        let PendingShardEvaluation { validation, test, test_probabilities } =
            self.evaluate_shard(eval_model.unwrap_or(&self.model), 0, shards);
        let sums = std::mem::replace(&mut self.sums, EpochSums::EMPTY);
        let train = PendingEval { images: sums.images, loss_sum: sums.loss, correct: sums.correct };

        let now = (self.clock)();
        self.restore_wall_clock(now);
        let run_started = self.run_started.unwrap_or(now);
        let epoch_seconds = now - self.epoch_started.unwrap_or(now);
        self.epoch += 1;
        let elapsed = now - run_started;
        let report = EpochReport {
            epoch: self.epoch,
            epochs: self.config.epochs,
            train_loss: f32::NAN,
            train_accuracy: f32::NAN,
            validation: None,
            test: None,
            images_per_second: sums.images as f64 / self.epoch_train_seconds.max(1e-9),
            epoch_seconds,
            elapsed_seconds: elapsed,
            eta_seconds: elapsed / self.epoch as f64 * self.config.epochs.saturating_sub(self.epoch) as f64,
        };
        self.order.clear();
        self.cursor = 0;
        PendingEpoch {
            report,
            train_images: sums.images,
            train,
            validation,
            test,
            test_probabilities,
            other_validation: Vec::new(),
            other_test: Vec::new(),
        }
    }

    /// An evaluation of the current weights, to run in slices; `None` when that set is empty.
    pub fn evaluation(&self, set: EvalSet) -> Option<Evaluation> {
        self.evaluation_of(&self.model, set)
    }

    fn evaluation_of(&self, model: &Model, set: EvalSet) -> Option<Evaluation> {
        self.shard_evaluation(model, set, 0, 1)
    }

    /// Evaluates the current weights on a whole set in one call.
    pub fn evaluate(&self, set: EvalSet) -> Option<PendingEval> {
        self.evaluation(set).map(Evaluation::finish)
    }

    /// Evaluates the current weights on chosen images of any split (e.g. a fixed probe set).
    pub fn evaluate_indices(&self, split: &Arc<Split>, indices: Vec<u32>) -> PendingEval {
        Evaluation::new(&self.model, split.clone(), Some(indices), self.config.eval_batch_size, self.batcher.clone())
            .finish()
    }
}

/// The device RNG's seed for a step. Burn can neither read nor restore that RNG's state, so the
/// trainer reseeds it before every step from the run's seed and the step number: dropout then
/// draws the same masks whether or not the run was interrupted and resumed in between.
pub(super) fn dropout_seed(seed: u64, global_step: usize) -> u64 {
    const DROPOUT_STREAM: u64 = 0xD809_0A57_2A3E_1F6B;
    SplitMix64::new(seed ^ DROPOUT_STREAM ^ (global_step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64()
}
