//! A run whose weights stop being numbers reports a non-finite loss at the very next step (the
//! worker then stops the run and keeps its last finite checkpoint; `persist.test.mjs` checks
//! that in the browser through the same fault, `TestHook::Diverge`).

mod common;

use atelier::model::ModelChoice;
use atelier::training::{OptimizerKind, Trainer, TrainingConfig};
use burn::prelude::*;

#[test]
fn poisoned_weights_give_a_non_finite_loss_at_the_next_step_and_no_panic() {
    let (data, _) = common::training_data(100, 600);
    let config = TrainingConfig::new()
        .with_model(ModelChoice::AtelierCnn.default_config())
        .with_optimizer(OptimizerKind::Adam)
        .with_batch_size(32)
        .with_epochs(1)
        .with_validation_size(100)
        .with_train_subset(Some(320))
        .with_seed(5);
    let mut trainer = Trainer::new(config, data, &Device::flex()).unwrap();
    let healthy = trainer.step().unwrap().read();
    assert!(healthy.loss.is_finite(), "{healthy:?}");
    trainer.poison_weights();
    let diverged = trainer.step().unwrap().read();
    assert!(diverged.loss.is_nan(), "{diverged:?}");
    assert_eq!(diverged.info.global_step, 2);
    // The run can go on stepping (the worker stops it; nothing panics meanwhile), and the
    // epoch's mean loss shows the divergence too, for steps that were not read back.
    while trainer.step().is_some() {}
    let epoch = trainer.end_epoch().read();
    assert!(epoch.train_loss.is_nan(), "{epoch:?}");
}
