//! Evaluating a model on a set of images, a few batches at a time.
//!
//! A browser worker cannot block for the whole 10k-image test set without freezing its message
//! handling, so an [`Evaluation`] can be advanced in slices with [`Evaluation::advance`];
//! natively [`Evaluation::finish`] simply runs it to the end.

use std::sync::Arc;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;

use super::{Batcher, PendingEval, PendingProbabilities};
use crate::data::Split;
use crate::model::Model;

/// The most images a batch holds on the CPU. A matrix product of this many rows already runs
/// at full speed there, and larger batches only raise the worker's memory high-water mark,
/// which wasm never gives back (the configured 500 is for GPUs, where launches are the cost).
const CPU_BATCH: usize = 100;

pub struct Evaluation {
    model: Model,
    split: Arc<Split>,
    indices: Vec<u32>,
    cursor: usize,
    batch_size: usize,
    batcher: Batcher,
    device: Device,
    loss_sum: Option<Tensor<1>>,
    correct: Option<Tensor<1, Int>>,
    /// Per-batch softmax outputs `[batch, 10]`, kept when the page wants per-image results.
    probabilities: Option<Vec<Tensor<2>>>,
}

impl std::fmt::Debug for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Evaluation({}/{} images)", self.cursor, self.indices.len())
    }
}

impl Evaluation {
    /// Evaluates `model` (switched to inference: no autodiff, no dropout, batch-norm running
    /// statistics) on `indices` of `split`, or on all of it.
    pub fn new(
        model: &Model,
        split: Arc<Split>,
        indices: Option<Vec<u32>>,
        batch_size: usize,
        batcher: Batcher,
    ) -> Self {
        let model = model.valid();
        let device = model.devices().first().cloned().expect("a model has parameters").inner();
        let indices = indices.unwrap_or_else(|| (0..split.len() as u32).collect());
        Self {
            model,
            split,
            indices,
            cursor: 0,
            batch_size: if device == Device::flex() { batch_size.min(CPU_BATCH) } else { batch_size }.max(1),
            batcher,
            device,
            loss_sum: None,
            correct: None,
            probabilities: None,
        }
    }

    /// Also keeps every image's class probabilities (for the confusion matrix and the image
    /// views), read with [`Evaluation::take_probabilities`]. 10,000 images are 400 kB.
    pub fn with_probabilities(mut self) -> Self {
        self.probabilities = Some(Vec::new());
        self
    }

    pub fn images(&self) -> usize {
        self.indices.len()
    }

    /// Images evaluated so far.
    pub fn done(&self) -> usize {
        self.cursor
    }

    pub fn is_done(&self) -> bool {
        self.cursor >= self.indices.len()
    }

    /// Runs up to `max_batches` batches; returns whether the evaluation is complete.
    pub fn advance(&mut self, max_batches: usize) -> bool {
        for _ in 0..max_batches {
            if self.is_done() {
                break;
            }
            let end = (self.cursor + self.batch_size).min(self.indices.len());
            let indices = &self.indices[self.cursor..end];
            let batch = self.batcher.batch(&self.split, indices, None, &self.device);
            let logits = self.model.forward(batch.images);
            if let Some(kept) = self.probabilities.as_mut() {
                kept.push(burn::tensor::activation::softmax(logits.clone().inner(), 1));
            }
            let (loss_sum, correct) = batch_sums(logits, batch.targets);
            self.loss_sum = Some(match self.loss_sum.take() {
                Some(sum) => sum + loss_sum,
                None => loss_sum,
            });
            self.correct = Some(match self.correct.take() {
                Some(sum) => sum + correct,
                None => correct,
            });
            self.cursor = end;
        }
        self.is_done()
    }

    /// Runs what is left and hands back the device-side sums.
    pub fn finish(self) -> PendingEval {
        self.finish_with_probabilities().0
    }

    /// Runs what is left; the sums, and the probabilities when they were asked for.
    pub fn finish_with_probabilities(mut self) -> (PendingEval, Option<PendingProbabilities>) {
        self.advance(usize::MAX);
        let probabilities = self
            .probabilities
            .take()
            .filter(|kept| !kept.is_empty())
            .map(|kept| PendingProbabilities { indices: self.indices.clone(), probabilities: Tensor::cat(kept, 0) });
        (PendingEval { images: self.indices.len(), loss_sum: self.loss_sum, correct: self.correct }, probabilities)
    }
}

/// Sum of the batch's cross-entropy (not the mean, so batches of any size add up) and the number
/// of correct predictions, both `[1]` and without autodiff.
fn batch_sums(logits: Tensor<2>, targets: Tensor<1, Int>) -> (Tensor<1>, Tensor<1, Int>) {
    let [batch, _] = logits.dims();
    let logits = logits.inner();
    let targets = targets.inner();
    let loss = CrossEntropyLossConfig::new().init(&logits.device()).forward(logits.clone(), targets.clone());
    (loss * batch as f32, correct_count(logits, targets))
}

/// `[1]`: how many rows of `logits` have their maximum at the target class.
/// Without autodiff: nothing to differentiate, so no graph bookkeeping to pay for.
pub(crate) fn correct_count(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1, Int> {
    let predictions: Tensor<1, Int> = logits.inner().argmax(1).squeeze_dim(1);
    predictions.equal(targets.inner()).int().sum()
}
