//! Model files as safetensors (`training/checkpoint/portable.rs`): what a Python reader sees,
//! what Atelier refuses, and that files of Atelier's first format still load.

use std::collections::HashMap;

use atelier::inference::Classifier;
use atelier::model::{DenseConfig, ModelConfig};
use atelier::training::{CheckpointError, MODEL_FORMAT, ModelFile, Normalization, PendingModelFile};
use burn::prelude::*;
use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};

/// Written by the first format's writer (Dense 784-8-10, device seed 7) before safetensors.
const FIRST_FORMAT: &[u8] = include_bytes!("fixtures/dense-8-format1.atelier-model");

fn dense_file() -> ModelFile {
    // The device's random stream is one for the whole binary: without the lock, a test on
    // another thread could seed or draw between this seed and this model's weights.
    static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _seeded = SEEDED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let config = ModelConfig::Dense(DenseConfig::new().with_hidden(vec![8]));
    let device = Device::flex();
    device.seed(11);
    PendingModelFile::new(&config.init(&device), config, Normalization::Unit).read()
}

fn probabilities(file: &ModelFile) -> Vec<f32> {
    let images: Vec<[u8; 784]> = (0..4).map(|i| std::array::from_fn(|p| ((p * 7 + i * 31) % 256) as u8)).collect();
    let classifier = Classifier::new(&file.load(&Device::flex()).unwrap(), file.normalization);
    classifier.classify(&images).read().into_iter().flatten().collect()
}

/// `file`'s tensors re-serialised with `metadata` instead of its own, as another tool would.
fn with_metadata(bytes: &[u8], metadata: HashMap<String, String>) -> Vec<u8> {
    let file = SafeTensors::deserialize(bytes).unwrap();
    safetensors::serialize(file.tensors(), Some(metadata.into_iter().collect())).unwrap()
}

fn metadata(bytes: &[u8]) -> HashMap<String, String> {
    let (_, header) = SafeTensors::read_metadata(bytes).unwrap();
    header.metadata().clone().unwrap().into_iter().collect()
}

#[test]
fn first_format_files_still_load_and_re_export_identically() {
    let old = ModelFile::from_bytes(FIRST_FORMAT).unwrap();
    let ModelConfig::Dense(dense) = &old.config else { panic!("a dense model") };
    assert_eq!((dense.hidden.clone(), old.normalization, old.test_accuracy), (vec![8], Normalization::Standard, None));
    let exported = old.to_bytes();
    assert!(!exported.starts_with(b"ATLR"), "exports are safetensors");
    let new = ModelFile::from_bytes(&exported).unwrap();
    assert_eq!(probabilities(&new), probabilities(&old));
    assert_eq!(new.to_bytes(), exported, "the same model always gives the same bytes");
}

#[test]
fn a_python_reader_sees_plain_names_shapes_and_metadata() {
    let file = dense_file().with_test_accuracy(Some(0.8125));
    let bytes = file.to_bytes();
    let parsed = SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = parsed.names().into_iter().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, ["hidden.0.bias", "hidden.0.weight", "output.bias", "output.weight"]);
    assert_eq!(parsed.tensor("hidden.0.weight").unwrap().shape(), [784, 8], "Linear weights are [in, out]");
    assert_eq!(parsed.tensor("output.weight").unwrap().dtype(), Dtype::F32);
    let meta = metadata(&bytes);
    assert_eq!(meta["atelier"], MODEL_FORMAT);
    assert_eq!(meta["normalization"], "unit");
    assert_eq!(meta["test_accuracy"], "0.8125");
    assert!(meta["model"].starts_with(r#"{"kind":"dense","hidden":[8]"#), "{}", meta["model"]);
    assert_eq!(ModelFile::from_bytes(&bytes).unwrap().test_accuracy, Some(0.8125));
}

#[test]
fn files_re_saved_elsewhere_load_without_a_checksum() {
    let bytes = dense_file().to_bytes();
    let mut meta = metadata(&bytes);
    meta.remove("checksum");
    let resaved = ModelFile::from_bytes(&with_metadata(&bytes, meta)).unwrap();
    assert_eq!(probabilities(&resaved), probabilities(&dense_file()));
}

#[test]
fn damaged_foreign_and_hostile_safetensors_are_refused_with_a_reason() {
    let bytes = dense_file().to_bytes();
    let refused = |bytes: &[u8]| ModelFile::from_bytes(bytes).map(drop).unwrap_err();
    let corrupt = |bytes: &[u8], says: &str| match refused(bytes) {
        CheckpointError::Corrupt { detail, .. } => assert!(detail.contains(says), "{detail:?} lacks {says:?}"),
        other => panic!("{other:?}, expected a damaged file saying {says:?}"),
    };

    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    corrupt(&flipped, "checksum does not match");

    let edit = |key: &str, value: Option<&str>| {
        let mut meta = metadata(&bytes);
        match value {
            Some(value) => meta.insert(key.into(), value.into()),
            None => meta.remove(key),
        };
        with_metadata(&bytes, meta)
    };
    corrupt(&edit("atelier", None), "not one exported by Atelier");
    corrupt(&edit("atelier", Some("model/9")), "another kind");
    corrupt(&edit("model", Some(r#"{"kind":"resnet"}"#)), "model description cannot be read");
    corrupt(&edit("normalization", Some("sepia")), "normalisation cannot be read");
    corrupt(&edit("test_accuracy", Some("1.5")), "not a fraction");
    let wide = metadata(&bytes)["model"].replace("[8]", "[1073741824]");
    corrupt(&edit("model", Some(&wide)), "width 1073741824");
    let other = edit("model", Some(r#"{"kind":"baseline-cnn","channels":32,"hidden":128}"#));
    assert!(matches!(refused(&other), CheckpointError::Architecture { .. }), "{:?}", refused(&other));

    // A NaN weight (a diverged run's) and half-precision values.
    let weights = SafeTensors::deserialize(&bytes).unwrap();
    let mut nan = weights.tensor("output.bias").unwrap().data().to_vec();
    nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut tensors: Vec<(String, TensorView)> =
        weights.tensors().into_iter().filter(|(name, _)| name != "output.bias").collect();
    tensors.push(("output.bias".into(), TensorView::new(Dtype::F32, vec![10], &nan).unwrap()));
    let mut meta = metadata(&bytes);
    meta.remove("checksum");
    corrupt(&safetensors::serialize(tensors.clone(), Some(meta.clone().into_iter().collect())).unwrap(), "diverged");
    let half = vec![0u8; 20];
    tensors.pop();
    tensors.push(("output.bias".into(), TensorView::new(Dtype::F16, vec![10], &half).unwrap()));
    corrupt(&safetensors::serialize(tensors, Some(meta.into_iter().collect())).unwrap(), "F16");

    // A header claiming 10^12 values in a file of a few bytes, and one that is not JSON.
    let header = br#"{"__metadata__":{"atelier":"model/2"},"output.weight":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}"#;
    let mut claim = (header.len() as u64).to_le_bytes().to_vec();
    claim.extend_from_slice(header);
    claim.extend_from_slice(&[0; 16]);
    assert!(matches!(refused(&claim), CheckpointError::Truncated { .. }), "{:?}", refused(&claim));
    let mut garbled = bytes.clone();
    garbled[20..60].fill(7);
    corrupt(&garbled, "not a readable safetensors file");
    assert!(matches!(refused(b"PK\x03\x04 a zip"), CheckpointError::NotAtelier { .. }));
    assert!(matches!(ModelFile::from_bytes(&[]).unwrap_err(), CheckpointError::Empty { .. }));
}
