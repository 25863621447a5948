//! Data-parallel training: each of `n` replicas of a run computes the gradient of its shard of
//! the same batch, the shards' gradients are summed, and every replica applies that one sum.
//!
//! Replicas start from the same checkpoint and apply identical sums with identical optimizer
//! state, so their weights stay bit-identical without ever sending weights. Each shard's gradient
//! is weighted by its share of the batch, so the sum is the whole batch's mean gradient — what
//! [`Trainer::step`] computes in one piece, up to float rounding and to batch norm, whose
//! statistics are then each shard's (as in PyTorch's plain `DistributedDataParallel`). Only the
//! replica that reports keeps meaningful running statistics; the others never evaluate.
//!
//! The sum must be formed in one place in one order (float addition is not associative): the
//! leader adds the shards in shard order and sends the result to the others.

use burn::module::{ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;

use super::eval::correct_count;
use super::trainer::{EpochSums, EvalSet, Trainer, dropout_seed};
use super::{EvalSums, Evaluation, PendingEval, PendingProbabilities, PendingStep, SplitMix64};
use crate::data::{IMAGE_SIDE, PIXELS_PER_IMAGE};
use crate::model::Model;
use crate::protocol::ModelChoice;

/// One shard's gradient of a batch, or (after [`ShardGradients::add`]) the whole batch's.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardGradients {
    /// The run's step these belong to (1-based, as [`Trainer::global_step`] after it).
    pub global_step: usize,
    /// Every parameter's gradient in the model's visiting order, each weighted by the shard's
    /// share of the batch.
    pub values: Vec<f32>,
    /// The sum of the shard's per-image losses.
    pub loss_sum: f32,
    pub correct: u32,
    pub images: usize,
}

impl ShardGradients {
    /// Adds another shard of the same step (the caller adds them in shard order).
    pub fn add(&mut self, other: &ShardGradients) -> Result<(), String> {
        if other.global_step != self.global_step || other.values.len() != self.values.len() {
            return Err(format!(
                "a helper sent the gradient of step {} ({} values) for step {} ({} values)",
                other.global_step,
                other.values.len(),
                self.global_step,
                self.values.len()
            ));
        }
        self.values.iter_mut().zip(&other.values).for_each(|(sum, value)| *sum += value);
        self.loss_sum += other.loss_sum;
        self.correct += other.correct;
        self.images += other.images;
        Ok(())
    }
}

/// A replica's part of the epoch-end evaluation, still on the device.
#[derive(Debug)]
pub struct PendingShardEvaluation {
    pub validation: Option<PendingEval>,
    pub test: Option<PendingEval>,
    pub test_probabilities: Option<PendingProbabilities>,
}

/// A replica's part of the epoch-end evaluation, read: what it sends the reporting replica.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardEvaluation {
    pub validation: Option<EvalSums>,
    pub test: Option<EvalSums>,
    /// `[images, 10]` row-major, its part of the test images in order.
    pub test_probabilities: Vec<f32>,
}

impl PendingShardEvaluation {
    /// Blocking read: natively, or on the CPU in a worker.
    pub fn read(self) -> ShardEvaluation {
        ShardEvaluation {
            validation: self.validation.as_ref().map(PendingEval::sums),
            test: self.test.as_ref().map(PendingEval::sums),
            test_probabilities: self.test_probabilities.map(|p| p.read().probabilities).unwrap_or_default(),
        }
    }
}

/// How many workers train a run on the CPU: `forced` (the page's `?workers=N`) when set, else
/// one per core up to four for the CNNs, whose steps (tens of milliseconds) dwarf the gradient
/// exchange (~1 ms); a dense network's step (~2 ms on the CPU) would be mostly exchange, so it
/// trains alone. Four, because each worker holds its own copy of the images and of the
/// engine, and a batch of 64 cut in more than four shards keeps the matrix products too small.
pub fn cpu_workers(model: ModelChoice, cores: usize, forced: usize) -> usize {
    match (forced, model) {
        (1.., _) => forced.min(MAX_WORKERS),
        (0, ModelChoice::Dense) => 1,
        (0, _) => cores.clamp(1, MAX_WORKERS),
    }
}

/// The most workers [`cpu_workers`] starts.
pub const MAX_WORKERS: usize = 4;

/// The rows of a batch of `len` images that shard `shard` of `shards` trains on.
pub fn shard_rows(len: usize, shard: usize, shards: usize) -> std::ops::Range<usize> {
    (len * shard / shards)..(len * (shard + 1) / shards)
}

impl Trainer {
    /// The run's images: a replica gets the same.
    pub fn data(&self) -> &super::TrainingData {
        &self.data
    }

    /// The gradient of shard `shard` of `shards` of the next batch, which stays the next batch
    /// until [`Trainer::apply_gradients`]. `None` when the epoch is complete or the run finished.
    pub fn shard_gradients(&mut self, shard: usize, shards: usize) -> Option<ShardGradients> {
        let (start, end) = self.next_batch()?;
        self.shard_started = Some(start);
        let indices = &self.order[self.cursor..end];
        // Every replica augments the whole batch, so the random stream stays the one-worker run's.
        let mut augment = self.config.augment.then(|| self.augment_rng.clone());
        let pixels = self.batcher.pixels(&self.data.train, indices, augment.as_mut());
        self.shard_augment = augment;
        let rows = shard_rows(indices.len(), shard, shards);
        let (images, share) = (rows.len(), rows.len() as f32 / indices.len() as f32);
        let global_step = self.global_step + 1;
        if images == 0 {
            let values = vec![0.0; self.model.num_params()];
            return Some(ShardGradients { global_step, values, loss_sum: 0.0, correct: 0, images });
        }
        let labels: Vec<i64> =
            indices[rows.clone()].iter().map(|&i| self.data.train.label(i as usize) as i64).collect();
        let pixels = pixels[rows.start * PIXELS_PER_IMAGE..rows.end * PIXELS_PER_IMAGE].to_vec();
        let batch = Tensor::<4>::from_data(TensorData::new(pixels, [images, 1, IMAGE_SIDE, IMAGE_SIDE]), &self.device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(labels, [images]), &self.device);

        // Shard 0 draws the one-worker run's dropout masks; the others their own.
        let seed = dropout_seed(self.config.seed, self.global_step);
        self.device.seed(if shard == 0 { seed } else { SplitMix64::new(seed ^ shard as u64).next_u64() });
        let logits = self.model.forward(batch);
        let loss = self.loss.forward(logits.clone(), targets.clone());
        let correct = correct_count(logits, targets);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let mut flatten = Flatten { grads: &grads, share, values: Vec::with_capacity(self.model.num_params()) };
        self.model.visit(&mut flatten);
        Some(ShardGradients {
            global_step,
            values: flatten.values,
            loss_sum: loss.inner().into_scalar::<f32>() * images as f32,
            correct: correct.into_scalar::<i64>() as u32,
            images,
        })
    }

    /// Applies the summed gradient of the batch [`Trainer::shard_gradients`] looked at, and moves
    /// past that batch.
    pub fn apply_gradients(&mut self, total: &ShardGradients) -> Result<PendingStep, String> {
        if total.global_step != self.global_step + 1 || total.values.len() != self.model.num_params() {
            return Err(format!(
                "a gradient for step {} ({} values) reached a replica at step {} ({} parameters)",
                total.global_step,
                total.values.len(),
                self.global_step + 1,
                self.model.num_params()
            ));
        }
        let (now, end) = self.next_batch().ok_or("the gradient came after the epoch's last batch")?;
        let start = self.shard_started.take().unwrap_or(now);
        if let Some(rng) = self.shard_augment.take() {
            self.augment_rng = rng;
        }
        let images = end - self.cursor;
        self.cursor = end;
        let mut unflatten = Unflatten {
            values: &total.values,
            at: 0,
            device: self.device.clone().inner(),
            grads: GradientsParams::new(),
        };
        self.model.visit(&mut unflatten);
        let learning_rate = self.learning_rate();
        self.model = self.optimizer.step(self.global_step, learning_rate, self.model.clone(), unflatten.grads);
        let device = self.device.clone().inner();
        let loss = Tensor::<1>::from_data(TensorData::new(vec![total.loss_sum / images.max(1) as f32], [1]), &device);
        let correct = Tensor::<1, Int>::from_data(TensorData::new(vec![total.correct as i64], [1]), &device);
        Ok(self.finish_step(start, images, learning_rate, loss, correct))
    }

    /// Shard `shard` of `shards` of the epoch-end evaluation, of `model`: the reporting
    /// replica's weights, whose batch-norm running statistics are the run's (another replica's
    /// are its shards' only). Every replica evaluating a part cuts the pause at each epoch's end.
    pub fn evaluate_shard(&self, model: &Model, shard: usize, shards: usize) -> PendingShardEvaluation {
        let validation = self.shard_evaluation(model, EvalSet::Validation, shard, shards);
        let test = self.shard_evaluation(model, EvalSet::Test, shard, shards);
        let (test, test_probabilities) = match test {
            Some(evaluation) => {
                let (test, probabilities) = evaluation.with_probabilities().finish_with_probabilities();
                (Some(test), probabilities)
            }
            None => (None, None),
        };
        PendingShardEvaluation { validation: validation.map(|e| e.finish()), test, test_probabilities }
    }

    /// Shard `shard` of `shards` of a set, contiguous (so the parts' probabilities, put
    /// together in shard order, are the whole set's); `None` when the whole set is empty.
    pub(super) fn shard_evaluation(
        &self,
        model: &Model,
        set: EvalSet,
        shard: usize,
        shards: usize,
    ) -> Option<Evaluation> {
        let (split, indices) = match set {
            EvalSet::Validation if !self.validation_indices.is_empty() => {
                (self.data.train.clone(), self.validation_indices.clone())
            }
            EvalSet::Test => {
                let test = self.data.test.clone().filter(|test| !test.is_empty())?;
                let all = (0..test.len() as u32).collect();
                (test, all)
            }
            EvalSet::Validation => return None,
        };
        let part = indices[shard_rows(indices.len(), shard, shards)].to_vec();
        Some(Evaluation::new(model, split, Some(part), self.config.eval_batch_size, self.batcher.clone()))
    }

    /// Moves a replica that does not evaluate past the end of its epoch (the reporting one calls
    /// [`Trainer::end_epoch`]): the next epoch's shuffle is then the same in every replica.
    pub fn skip_epoch_end(&mut self) {
        if self.epoch_complete() {
            self.sums = EpochSums::EMPTY;
            self.epoch += 1;
            self.order.clear();
            self.cursor = 0;
        }
    }
}

/// Collects the gradients in the model's visiting order, weighted.
struct Flatten<'a> {
    grads: &'a GradientsParams,
    share: f32,
    values: Vec<f32>,
}

impl ModuleVisitor for Flatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let count: usize = param.lazy_shape().iter().product();
        match self.grads.get::<D>(param.id) {
            Some(grad) => {
                let data = grad.into_data().convert::<f32>();
                let values = data.as_slice::<f32>().expect("f32 after convert");
                self.values.extend(values.iter().map(|v| v * self.share));
            }
            // Not trained (batch norm's running statistics): zeros keep the layout fixed.
            None => self.values.extend(std::iter::repeat_n(0.0, count)),
        }
    }
}

/// Registers slices of a flat gradient under the parameters they belong to.
struct Unflatten<'a> {
    values: &'a [f32],
    at: usize,
    device: Device,
    grads: GradientsParams,
}

impl ModuleVisitor for Unflatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let shape = param.lazy_shape();
        let count: usize = shape.iter().product();
        let values = self.values[self.at..self.at + count].to_vec();
        self.at += count;
        if param.val().is_require_grad() {
            let tensor = Tensor::<D>::from_data(TensorData::new(values, shape.to_vec()), &self.device);
            self.grads.register(param.id, tensor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnns_take_a_worker_per_core_up_to_four_and_dense_trains_alone() {
        assert_eq!(cpu_workers(ModelChoice::AtelierCnn, 2, 0), 2);
        assert_eq!(cpu_workers(ModelChoice::BaselineCnn, 16, 0), MAX_WORKERS);
        assert_eq!(cpu_workers(ModelChoice::AtelierCnn, 0, 0), 1);
        assert_eq!(cpu_workers(ModelChoice::Dense, 8, 0), 1);
        assert_eq!(cpu_workers(ModelChoice::Dense, 8, 3), 3);
        assert_eq!(cpu_workers(ModelChoice::AtelierCnn, 2, 9), MAX_WORKERS);
    }

    #[test]
    fn shards_cover_a_batch_once_and_in_order() {
        for (len, shards) in [(64, 2), (64, 3), (1, 2), (7, 4)] {
            let rows: Vec<_> = (0..shards).flat_map(|k| shard_rows(len, k, shards)).collect();
            assert_eq!(rows, (0..len).collect::<Vec<_>>());
        }
    }
}
