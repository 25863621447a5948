//! Same seed, same run: weights, dropout, split, shuffling and augmentation all follow the seed.
//!
//! One test per binary on purpose: Burn's CPU backend keeps one global RNG, so another test
//! running in parallel in the same process would draw from it and break the comparison.

mod common;

use atelier::data::SplitKind;
use atelier::model::{DenseConfig, ModelConfig};
use atelier::training::{EvalSet, Trainer, TrainingConfig, TrainingData};
use burn::prelude::*;

fn run(seed: u64) -> (Vec<f32>, f32) {
    let data = TrainingData::new(
        common::synthetic(SplitKind::Train, 700, 1),
        Some(common::synthetic(SplitKind::Test, 200, 2)),
    );
    let model = ModelConfig::Dense(DenseConfig::new().with_hidden(vec![32]).with_dropout(0.3));
    let config = TrainingConfig::new()
        .with_model(model)
        .with_batch_size(32)
        .with_epochs(2)
        .with_validation_size(100)
        .with_augment(true)
        .with_seed(seed);
    let mut trainer = Trainer::new(config, data, &Device::flex()).unwrap();
    let mut losses = Vec::new();
    while !trainer.is_finished() {
        while let Some(step) = trainer.step() {
            losses.push(step.read().loss);
        }
        trainer.end_epoch().read();
    }
    (losses, trainer.evaluate(EvalSet::Test).unwrap().read().loss)
}

#[test]
fn same_seed_gives_identical_losses_and_a_different_seed_does_not() {
    let (first, first_test) = run(7);
    let (again, again_test) = run(7);
    assert_eq!(first.len(), 2 * 600usize.div_ceil(32));
    assert_eq!(first, again);
    assert_eq!(first_test.to_bits(), again_test.to_bits());
    let (other, _) = run(8);
    assert_ne!(first, other);
}
