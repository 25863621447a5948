//! Everything that defines a training run, as one serde config the UI sends to the worker.

use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig};
use burn::prelude::*;

use super::Normalization;
use crate::model::{AtelierCnnConfig, BaselineCnnConfig, DenseConfig, ModelConfig};
pub use crate::protocol::{LrSchedule, OptimizerKind};
use crate::protocol::{ModelChoice, RunSettings};

#[derive(Config, Debug)]
pub struct TrainingConfig {
    #[config(default = "ModelConfig::default()")]
    pub model: ModelConfig,
    #[config(default = "OptimizerKind::Adam")]
    pub optimizer: OptimizerKind,
    /// The peak rate; see `schedule`.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    #[config(default = "LrSchedule::Cosine")]
    pub schedule: LrSchedule,
    /// SGD only; 0 is plain SGD.
    #[config(default = 0.9)]
    pub momentum: f64,
    #[config(default = 64)]
    pub batch_size: usize,
    #[config(default = 5)]
    pub epochs: usize,
    /// Images held out of the train split for validation (taken before the subset).
    #[config(default = 5000)]
    pub validation_size: usize,
    /// Training images per epoch, from what the validation leaves; `None` is all of it.
    #[config(default = "None")]
    pub train_subset: Option<usize>,
    /// Random ±2 px shifts of the training images.
    #[config(default = false)]
    pub augment: bool,
    #[config(default = "Normalization::Standard")]
    pub normalization: Normalization,
    /// Seeds the weights, dropout, the split, shuffling and augmentation.
    #[config(default = 42)]
    pub seed: u64,
    /// Evaluation has no graph to keep, so it can use bigger batches.
    #[config(default = 500)]
    pub eval_batch_size: usize,
}

impl TrainingConfig {
    /// Checks what would otherwise panic deep inside Burn or the batcher.
    pub fn validate(&self) -> Result<(), String> {
        if self.batch_size == 0 || self.eval_batch_size == 0 {
            return Err("batch sizes must be at least 1".into());
        }
        if self.epochs == 0 {
            return Err("at least one epoch is needed".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(format!("learning rate must be positive, got {}", self.learning_rate));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(format!("momentum must be in [0, 1), got {}", self.momentum));
        }
        if self.train_subset == Some(0) {
            return Err("the training subset is empty".into());
        }
        Ok(())
    }

    /// The optimizer, type-erased: Burn 0.22's `ModuleOptimizer` is one type for all of them.
    pub fn optimizer(&self) -> ModuleOptimizer {
        match self.optimizer {
            OptimizerKind::Adam => AdamConfig::new().init(),
            OptimizerKind::Sgd if self.momentum > 0.0 => SgdConfig::new()
                // No dampening: the textbook (and PyTorch) momentum, so lessons' numbers carry over.
                .with_momentum(Some(MomentumConfig::new().with_momentum(self.momentum).with_dampening(0.0)))
                .init(),
            OptimizerKind::Sgd => SgdConfig::new().init(),
        }
    }
}

/// From the page's plain settings: the same run in the browser's worker and in the native
/// trainer (`train --record`).
impl From<&RunSettings> for TrainingConfig {
    fn from(s: &RunSettings) -> Self {
        let model = match s.model {
            ModelChoice::Dense => ModelConfig::Dense(
                DenseConfig::new().with_hidden(s.hidden.clone()).with_activation(s.activation).with_dropout(s.dropout),
            ),
            ModelChoice::BaselineCnn => ModelConfig::BaselineCnn(BaselineCnnConfig::new()),
            ModelChoice::AtelierCnn => ModelConfig::AtelierCnn(AtelierCnnConfig::new()),
        };
        TrainingConfig::new()
            .with_model(model)
            .with_optimizer(s.optimizer)
            .with_learning_rate(s.learning_rate)
            .with_momentum(s.momentum)
            .with_schedule(s.schedule)
            .with_batch_size(s.batch_size)
            .with_epochs(s.epochs)
            .with_validation_size(s.validation_size)
            .with_train_subset(s.train_subset)
            .with_augment(s.augment)
            .with_seed(s.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_schedule_goes_from_the_peak_to_zero() {
        assert_eq!(LrSchedule::Cosine.rate(0.1, 0.0), 0.1);
        assert!((LrSchedule::Cosine.rate(0.1, 0.5) - 0.05).abs() < 1e-12);
        assert!(LrSchedule::Cosine.rate(0.1, 1.0).abs() < 1e-12);
        assert_eq!(LrSchedule::Constant.rate(0.1, 0.7), 0.1);
    }

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(TrainingConfig::new().validate(), Ok(()));
        let err = TrainingConfig::new().with_momentum(1.5).validate().unwrap_err();
        assert!(err.contains("momentum"), "{err}");
    }
}
