//! A few hundred steps really train: the loss falls and accuracy ends far above chance (10 %).
//! Uses the real Fashion-MNIST files when installed, otherwise synthetic images
//! (`ATELIER_REQUIRE_DATA=1` makes their absence a failure, as in `data_real.rs`).

mod common;

use atelier::model::{BaselineCnnConfig, DenseConfig, ModelChoice, ModelConfig};
use atelier::training::{EvalSet, OptimizerKind, StepReport, Trainer, TrainingConfig, TrainingData};
use burn::prelude::*;

const TEST_IMAGES: usize = 2_000;

/// Real train split (all of it: the trainer subsets) and the first 2,000 test images.
fn data() -> (TrainingData, bool) {
    common::training_data(TEST_IMAGES, 12_000)
}

/// Trains `steps` batches of 32 in one epoch; returns every step's report, the test accuracy
/// and whether the data was the real Fashion-MNIST.
fn train(config: TrainingConfig, steps: usize) -> (Vec<StepReport>, f32, bool) {
    let (data, real) = data();
    let config =
        config.with_batch_size(32).with_epochs(1).with_train_subset(Some(steps * 32)).with_validation_size(500);
    let mut trainer = Trainer::new(config, data, &Device::flex()).unwrap();
    assert_eq!(trainer.steps_per_epoch(), steps);
    let reports: Vec<_> = std::iter::from_fn(|| trainer.step()).map(|step| step.read()).collect();
    let test = trainer.evaluate(EvalSet::Test).unwrap().read();
    assert_eq!(test.images, TEST_IMAGES);
    (reports, test.accuracy, real)
}

/// What a model reaches, measured: the mean batch accuracy of the last 20 steps and the test
/// accuracy, on real Fashion-MNIST and on the synthetic stand-in. Each bound sits a few points
/// under the measured value, so a normalisation or optimizer bug fails it.
struct Reaches {
    real: (f32, f32),
    synthetic: (f32, f32),
}

fn mean_loss(reports: &[StepReport]) -> f32 {
    reports.iter().map(|r| r.loss).sum::<f32>() / reports.len() as f32
}

fn assert_learns(name: &str, (reports, accuracy, real): (Vec<StepReport>, f32, bool), reaches: Reaches) {
    let (first, last) = (mean_loss(&reports[..20]), mean_loss(&reports[reports.len() - 20..]));
    let late_batch_accuracy = reports[reports.len() - 20..].iter().map(|r| r.accuracy).sum::<f32>() / 20.0;
    eprintln!(
        "{name} on {} data: loss {first:.3} → {last:.3}, last 20 batches {:.1} %, test accuracy {:.1} %",
        if real { "REAL" } else { "SYNTHETIC (the real-data bounds are not checked)" },
        late_batch_accuracy * 100.0,
        accuracy * 100.0
    );
    let (min_batch, min_test) = if real { reaches.real } else { reaches.synthetic };
    assert!(last < first * 0.6, "{name}: loss {first} → {last}");
    assert!(late_batch_accuracy > min_batch, "{name}: batch accuracy {late_batch_accuracy}");
    assert!(accuracy > min_test, "{name}: test accuracy {accuracy}");
}

#[test]
fn dense_relu_with_adam_learns() {
    let model = ModelConfig::Dense(DenseConfig::new().with_hidden(vec![128, 128]));
    // Measured (2026-11-30): real 82.8 % last batches, 82.6 % test; synthetic 100 % and 100 %.
    let reaches = Reaches { real: (0.79, 0.79), synthetic: (0.97, 0.97) };
    assert_learns("dense", train(TrainingConfig::new().with_model(model), 300), reaches);
}

#[test]
fn baseline_cnn_with_sgd_momentum_learns() {
    let config = TrainingConfig::new()
        .with_model(ModelConfig::BaselineCnn(BaselineCnnConfig::new()))
        .with_optimizer(OptimizerKind::Sgd)
        .with_learning_rate(OptimizerKind::Sgd.default_learning_rate());
    // Measured (2026-11-30): real 86.7 % last batches, 85.3 % test; synthetic 100 % and 100 %.
    let reaches = Reaches { real: (0.83, 0.82), synthetic: (0.97, 0.97) };
    assert_learns("baseline-cnn/sgd", train(config, 250), reaches);
}

#[test]
fn atelier_cnn_learns_with_augmentation() {
    let config = TrainingConfig::new().with_model(ModelChoice::AtelierCnn.default_config()).with_augment(true);
    // Measured (2026-11-30): real 75.9 % last batches, 79.9 % test; synthetic 100 % and 100 %.
    let reaches = Reaches { real: (0.72, 0.76), synthetic: (0.97, 0.97) };
    assert_learns("atelier-cnn", train(config, 200), reaches);
}

#[test]
fn step_wise_api_walks_epochs_and_reads_async() {
    let (data, _) = data();
    let config = TrainingConfig::new()
        .with_model(ModelConfig::Dense(DenseConfig::new().with_hidden(vec![32])))
        .with_batch_size(100)
        .with_epochs(2)
        .with_train_subset(Some(250))
        .with_validation_size(300);
    let mut trainer = Trainer::new(config, data, &Device::flex()).unwrap();
    assert_eq!((trainer.train_images(), trainer.validation_images(), trainer.steps_per_epoch()), (250, 300, 3));

    let infos: Vec<_> = std::iter::from_fn(|| trainer.step()).map(|step| step.info).collect();
    assert_eq!(
        infos.iter().map(|i| (i.epoch, i.step, i.batch_size)).collect::<Vec<_>>(),
        [(1, 1, 100), (1, 2, 100), (1, 3, 50)]
    );
    assert!(trainer.epoch_complete() && !trainer.is_finished());
    assert!(infos.iter().all(|i| i.images_per_second > 0.0 && i.steps_per_epoch == 3));

    let mut pending = trainer.end_epoch();
    let probabilities = pending.take_test_probabilities().expect("the test set's probabilities").read();
    let epoch = burn::tensor::read_sync(pending.read_async()).unwrap();
    assert_eq!((epoch.epoch, epoch.epochs), (1, 2));
    // Every test image has 10 probabilities summing to 1, and their argmax gives the reported accuracy.
    assert_eq!(probabilities.indices, (0..TEST_IMAGES as u32).collect::<Vec<_>>());
    let labels = &data_labels()[..TEST_IMAGES];
    let classified = atelier::metrics::ClassifiedSet::new(labels, &probabilities.probabilities);
    assert_eq!(classified.len(), TEST_IMAGES);
    assert!(probabilities.probabilities.chunks(10).all(|row| (row.iter().sum::<f32>() - 1.0).abs() < 1e-4));
    let accuracy = classified.confusion.accuracy().unwrap();
    assert!((accuracy - epoch.test.unwrap().accuracy).abs() < 1e-6, "{accuracy} vs {:?}", epoch.test);
    assert_eq!(epoch.validation.unwrap().images, 300);
    assert_eq!(epoch.test.unwrap().images, TEST_IMAGES);
    assert!(epoch.train_loss.is_finite() && epoch.eta_seconds >= 0.0);

    // An evaluation run in slices gives what one call gives.
    let mut sliced = trainer.evaluation(EvalSet::Validation).unwrap();
    assert!(!sliced.advance(0));
    while !sliced.advance(1) {}
    let sliced = sliced.finish().read();
    let whole = trainer.evaluate(EvalSet::Validation).unwrap().read();
    assert_eq!(sliced.images, whole.images);
    assert!((sliced.accuracy - whole.accuracy).abs() < 1e-6 && (sliced.loss - whole.loss).abs() < 1e-4);

    let step = burn::tensor::read_sync(trainer.step().unwrap().read_async()).unwrap();
    assert_eq!((step.info.epoch, step.info.global_step), (2, 4));
    trainer.end_epoch().read();
    assert!(trainer.is_finished() && trainer.step().is_none());
}

/// The labels of the test images `data()` uses.
fn data_labels() -> Vec<u8> {
    data().0.test.expect("a test split").labels().to_vec()
}

#[test]
fn bad_configs_are_refused() {
    let (data, _) = data();
    let refused = |config: TrainingConfig| Trainer::new(config, data.clone(), &Device::flex()).is_err();
    assert!(refused(TrainingConfig::new().with_batch_size(0)));
    assert!(refused(TrainingConfig::new().with_learning_rate(-1.0)));
    assert!(refused(TrainingConfig::new().with_validation_size(1_000_000)));
    assert!(refused(TrainingConfig::new().with_train_subset(Some(0))));
}
