//! An exported model opens in Python and computes what Atelier computes: a Dense model, the
//! Baseline CNN and the Atelier CNN (batch norm included), each trained a few steps, are
//! exported as the page exports them; `tests/python/check_export.py` runs them in numpy on the
//! same images and compares with the probabilities of Atelier's classifier (the page's code).
//!
//! Python comes from `ATELIER_PYTHON` (`./atelier.sh test` makes a virtual environment with
//! `tests/python/requirements.txt`), else `python3`; without numpy and safetensors there the
//! test says so and fails, unless `ATELIER_SKIP_PYTHON` is set.

mod common;

use std::path::Path;
use std::process::Command;

use atelier::data::{PIXELS_PER_IMAGE, SplitKind};
use atelier::inference::Classifier;
use atelier::model::{Activation, DenseConfig, ModelChoice, ModelConfig};
use atelier::training::{OptimizerKind, Trainer, TrainingConfig};
use burn::prelude::*;
use safetensors::tensor::{Dtype, TensorView};

const IMAGES: usize = 32;

/// A model trained for a few steps, so that its weights (and batch-norm statistics) are not
/// the initial ones.
fn trained(model: ModelConfig) -> Trainer {
    let (data, _) = common::training_data(100, 600);
    let config = TrainingConfig::new()
        .with_model(model)
        .with_optimizer(OptimizerKind::Adam)
        .with_batch_size(32)
        .with_epochs(1)
        .with_validation_size(100)
        .with_train_subset(Some(320))
        .with_seed(3);
    let mut trainer = Trainer::new(config, data, &Device::flex()).unwrap();
    while trainer.step().is_some() {}
    trainer
}

/// Writes `NAME.safetensors` (the export) and `NAME.expected.safetensors` (images and the
/// probabilities Atelier's classifier gives them) into `dir`.
fn write_case(dir: &Path, name: &str, model: ModelConfig, images: &[[u8; PIXELS_PER_IMAGE]]) {
    let trainer = trained(model);
    let export = trainer.model_file().read().with_test_accuracy(Some(0.5)).to_bytes();
    std::fs::write(dir.join(format!("{name}.safetensors")), &export).unwrap();
    // What the page does with an imported file: parse, check, load, classify.
    let file = atelier::training::ModelFile::from_bytes(&export).unwrap();
    let classifier = Classifier::new(&file.load(&Device::flex()).unwrap(), file.normalization);
    let probabilities: Vec<u8> =
        classifier.classify(images).read().iter().flatten().flat_map(|p| p.to_le_bytes()).collect();
    let pixels: Vec<u8> = images.iter().flatten().copied().collect();
    let tensors = [
        ("images", TensorView::new(Dtype::U8, vec![images.len(), PIXELS_PER_IMAGE], &pixels).unwrap()),
        ("probabilities", TensorView::new(Dtype::F32, vec![images.len(), 10], &probabilities).unwrap()),
    ];
    let expected = safetensors::serialize(tensors, None).unwrap();
    std::fs::write(dir.join(format!("{name}.expected.safetensors")), expected).unwrap();
}

#[test]
fn exports_run_in_numpy_with_the_same_probabilities() {
    let test = common::real_test_split().unwrap_or_else(|| common::synthetic(SplitKind::Test, IMAGES, 4));
    let images: Vec<[u8; PIXELS_PER_IMAGE]> = (0..IMAGES).map(|i| test.image(i).try_into().unwrap()).collect();
    let dir = std::env::temp_dir().join(format!("atelier-export-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sigmoid = DenseConfig::new().with_hidden(vec![64, 32]).with_activation(Activation::Sigmoid);
    write_case(&dir, "dense-relu", ModelChoice::Dense.default_config(), &images);
    write_case(&dir, "dense-sigmoid", ModelConfig::Dense(sigmoid), &images);
    write_case(&dir, "baseline-cnn", ModelChoice::BaselineCnn.default_config(), &images);
    write_case(&dir, "atelier-cnn", ModelChoice::AtelierCnn.default_config(), &images);

    let python = std::env::var("ATELIER_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_export.py");
    let output = Command::new(&python).arg(script).arg("cases").arg(&dir).output();
    std::fs::remove_dir_all(&dir).ok();
    let output = output.unwrap_or_else(|e| panic!("{python} did not run: {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if stderr.contains("ModuleNotFoundError") && std::env::var("ATELIER_SKIP_PYTHON").is_ok() {
        eprintln!("skipped (ATELIER_SKIP_PYTHON): {python} lacks numpy or safetensors");
        return;
    }
    assert!(
        output.status.success(),
        "{python} {script} failed (install tests/python/requirements.txt, or run ./atelier.sh test):\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
    for kind in ["\"dense\"", "\"baseline-cnn\"", "\"atelier-cnn\""] {
        assert!(stdout.contains(kind), "{kind} not checked: {stdout}");
    }
}
