//! What a step or an epoch reports, in two stages: tensors still on the device, then numbers.
//!
//! Reading a tensor back is the one place native and browser code must differ: natively a
//! blocking read is fine, in a wasm worker on WebGPU it panics and only the `async` read works.
//! So every report is first a `Pending…` value holding device tensors plus the host-side facts,
//! with `read()` (native) and `read_async()` (both) to turn it into plain numbers. Each read is
//! one [`Transaction`], i.e. one round trip however many tensors it holds.

use burn::prelude::*;
use burn::tensor::{ExecutionError, Transaction};
use serde::{Deserialize, Serialize};

pub use crate::protocol::{EpochReport, EvalReport, StepInfo, StepReport};

/// A step whose loss and accuracy are still on the device.
#[derive(Debug)]
pub struct PendingStep {
    pub info: StepInfo,
    pub(crate) loss: Tensor<1>,
    pub(crate) correct: Tensor<1, Int>,
}

impl PendingStep {
    /// Blocking read; native only (panics in a browser on WebGPU).
    pub fn read(self) -> StepReport {
        let transaction = self.transaction();
        self.report(transaction.execute())
    }

    pub async fn read_async(self) -> Result<StepReport, ExecutionError> {
        let data = self.transaction().execute_async().await?;
        Ok(self.report(data))
    }

    fn transaction(&self) -> Transaction {
        Transaction::default().register(self.loss.clone()).register(self.correct.clone())
    }

    fn report(&self, data: Vec<TensorData>) -> StepReport {
        let correct = scalar(&data[1]);
        StepReport {
            info: self.info,
            loss: scalar(&data[0]) as f32,
            accuracy: (correct / self.info.batch_size as f64) as f32,
        }
    }
}

/// An evaluation whose sums are still on the device.
#[derive(Debug, Clone)]
pub struct PendingEval {
    pub images: usize,
    /// Sum over images of the cross-entropy; `None` for an empty set.
    pub(crate) loss_sum: Option<Tensor<1>>,
    pub(crate) correct: Option<Tensor<1, Int>>,
}

impl PendingEval {
    pub fn read(self) -> EvalReport {
        self.sums().report()
    }

    pub async fn read_async(self) -> Result<EvalReport, ExecutionError> {
        Ok(self.sums_async().await?.report())
    }

    /// Blocking read of the sums; native, or the CPU in a worker.
    pub fn sums(&self) -> EvalSums {
        match (&self.loss_sum, &self.correct) {
            (Some(loss), Some(correct)) => {
                self.sums_of(&Transaction::default().register(loss.clone()).register(correct.clone()).execute())
            }
            _ => self.sums_of(&[]),
        }
    }

    pub async fn sums_async(&self) -> Result<EvalSums, ExecutionError> {
        match (&self.loss_sum, &self.correct) {
            (Some(loss), Some(correct)) => {
                let transaction = Transaction::default().register(loss.clone()).register(correct.clone());
                Ok(self.sums_of(&transaction.execute_async().await?))
            }
            _ => Ok(self.sums_of(&[])),
        }
    }

    fn sums_of(&self, data: &[TensorData]) -> EvalSums {
        match data {
            [loss, correct] if self.images > 0 => {
                EvalSums { images: self.images, loss_sum: scalar(loss), correct: scalar(correct) as u32 }
            }
            _ => EvalSums::default(),
        }
    }
}

/// An evaluation's sums, read: the parts of one set that replicas evaluated add up to the
/// whole set's figures (data parallel, `super::parallel`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EvalSums {
    pub images: usize,
    /// Sum over images of the cross-entropy.
    pub loss_sum: f64,
    pub correct: u32,
}

impl std::ops::Add for EvalSums {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            images: self.images + other.images,
            loss_sum: self.loss_sum + other.loss_sum,
            correct: self.correct + other.correct,
        }
    }
}

impl EvalSums {
    pub fn report(self) -> EvalReport {
        if self.images == 0 {
            return EvalReport { images: 0, loss: f32::NAN, accuracy: f32::NAN };
        }
        let n = self.images as f64;
        EvalReport { images: self.images, loss: (self.loss_sum / n) as f32, accuracy: (self.correct as f64 / n) as f32 }
    }
}

/// Every evaluated image's class probabilities, still on the device.
#[derive(Debug, Clone)]
pub struct PendingProbabilities {
    /// The split's image indices, in the order of the rows.
    pub indices: Vec<u32>,
    /// `[images, 10]`
    pub(crate) probabilities: Tensor<2>,
}

/// Row `i` of `probabilities` (10 values) belongs to image `indices[i]` of the split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageProbabilities {
    pub indices: Vec<u32>,
    pub probabilities: Vec<f32>,
}

impl PendingProbabilities {
    pub fn read(self) -> ImageProbabilities {
        let data = self.probabilities.clone().into_data();
        self.report(data)
    }

    pub async fn read_async(self) -> Result<ImageProbabilities, ExecutionError> {
        let data = self.probabilities.clone().into_data_async().await?;
        Ok(self.report(data))
    }

    fn report(self, data: TensorData) -> ImageProbabilities {
        ImageProbabilities { indices: self.indices, probabilities: data.iter::<f32>().collect() }
    }
}

/// An epoch whose numbers are still on the device.
#[derive(Debug, Clone)]
pub struct PendingEpoch {
    /// Every field but the losses and accuracies, which are filled in by the read.
    pub(crate) report: EpochReport,
    pub(crate) train_images: usize,
    pub(crate) train: PendingEval,
    pub(crate) validation: Option<PendingEval>,
    pub(crate) test: Option<PendingEval>,
    pub(crate) test_probabilities: Option<PendingProbabilities>,
    /// The other replicas' parts of the validation and test sets, when the evaluation was
    /// shared (`Trainer::end_epoch_on` with shards): added in at the read.
    pub(crate) other_validation: Vec<EvalSums>,
    pub(crate) other_test: Vec<EvalSums>,
}

impl PendingEpoch {
    pub fn epoch(&self) -> usize {
        self.report.epoch
    }

    /// The test images' probabilities after this epoch (a separate read: 400 kB for 10k images).
    pub fn take_test_probabilities(&mut self) -> Option<PendingProbabilities> {
        self.test_probabilities.take()
    }

    /// Another replica's part of the validation and test sets (see [`super::ShardEvaluation`]).
    pub fn add_part(&mut self, validation: Option<EvalSums>, test: Option<EvalSums>) {
        self.other_validation.extend(validation);
        self.other_test.extend(test);
    }

    pub fn read(self) -> EpochReport {
        let train = self.train.sums();
        let validation = self.validation.as_ref().map(PendingEval::sums);
        let test = self.test.as_ref().map(PendingEval::sums);
        self.fill(train, validation, test)
    }

    pub async fn read_async(self) -> Result<EpochReport, ExecutionError> {
        let train = self.train.sums_async().await?;
        let validation = match &self.validation {
            Some(pending) => Some(pending.sums_async().await?),
            None => None,
        };
        let test = match &self.test {
            Some(pending) => Some(pending.sums_async().await?),
            None => None,
        };
        Ok(self.fill(train, validation, test))
    }

    fn fill(&self, train: EvalSums, validation: Option<EvalSums>, test: Option<EvalSums>) -> EpochReport {
        debug_assert_eq!(train.images, self.train_images);
        let train = train.report();
        let whole = |own: Option<EvalSums>, others: &[EvalSums]| {
            own.into_iter().chain(others.iter().copied()).reduce(|a, b| a + b).map(EvalSums::report)
        };
        EpochReport {
            train_loss: train.loss,
            train_accuracy: train.accuracy,
            validation: whole(validation, &self.other_validation),
            test: whole(test, &self.other_test),
            ..self.report
        }
    }
}

/// The single value of a one-element tensor, whatever its dtype.
fn scalar(data: &TensorData) -> f64 {
    data.iter::<f64>().next().unwrap_or(f64::NAN)
}
