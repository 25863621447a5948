//! Lose nothing: a run checkpointed, turned into bytes and resumed takes exactly the steps the
//! uninterrupted run takes, mid-epoch or at an epoch boundary; bad bytes are errors, never
//! panics; a model file round-trips. Real Fashion-MNIST when installed, synthetic otherwise
//! (`ATELIER_REQUIRE_DATA=1` makes their absence a failure).
//!
//! Every test that trains holds `SERIAL`: Burn's CPU backend has one global RNG (weights,
//! dropout), and a test training in parallel would draw from it and break the bit-for-bit
//! comparisons.

mod common;

use std::sync::{Mutex, MutexGuard, OnceLock};

use atelier::data::SplitKind;
use atelier::model::{DenseConfig, ModelChoice, ModelConfig};
use atelier::training::{
    Batcher, Checkpoint, CheckpointError, EpochReport, EvalSet, ModelFile, OptimizerKind, PendingModelFile, StepReport,
    Trainer, TrainingConfig, TrainingData,
};
use burn::prelude::*;

const TEST_IMAGES: usize = 1_000;
/// 5 full batches of 32 and one of 16: the last batch of an epoch is short.
const TRAIN_IMAGES: usize = 5 * 32 + 16;
const STEPS_PER_EPOCH: usize = 6;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The real train split and the first 1,000 test images, loaded once.
fn data() -> TrainingData {
    static DATA: OnceLock<TrainingData> = OnceLock::new();
    DATA.get_or_init(|| common::training_data(TEST_IMAGES, 6_000).0).clone()
}

fn dense_128_128() -> ModelConfig {
    ModelConfig::Dense(DenseConfig::new().with_hidden(vec![128, 128]))
}

/// Two short epochs, with augmentation so the augmentation RNG matters too.
fn config(model: ModelConfig, optimizer: OptimizerKind) -> TrainingConfig {
    TrainingConfig::new()
        .with_model(model)
        .with_optimizer(optimizer)
        .with_learning_rate(optimizer.default_learning_rate())
        .with_batch_size(32)
        .with_epochs(2)
        .with_validation_size(200)
        .with_train_subset(Some(TRAIN_IMAGES))
        .with_augment(true)
        .with_seed(9)
}

/// What a run reports that must not depend on an interruption, as bits.
#[derive(Debug, Default, PartialEq)]
struct Trace {
    /// (global step, learning rate, loss, accuracy)
    steps: Vec<(usize, u64, u32, u32)>,
    /// train, validation and test loss and accuracy
    epochs: Vec<[u32; 6]>,
}

impl Trace {
    fn step(&mut self, report: StepReport) {
        let info = report.info;
        self.steps.push((
            info.global_step,
            info.learning_rate.to_bits(),
            report.loss.to_bits(),
            report.accuracy.to_bits(),
        ));
    }

    fn epoch(&mut self, report: EpochReport) {
        let (validation, test) = (report.validation.unwrap(), report.test.unwrap());
        let numbers =
            [report.train_loss, report.train_accuracy, validation.loss, validation.accuracy, test.loss, test.accuracy];
        self.epochs.push(numbers.map(f32::to_bits));
    }
}

/// Trains one batch, ending epochs on the way; `false` once the run is finished.
fn train_one(trainer: &mut Trainer, trace: &mut Trace) -> bool {
    loop {
        if let Some(step) = trainer.step() {
            trace.step(step.read());
            return true;
        }
        if trainer.is_finished() {
            return false;
        }
        trace.epoch(trainer.end_epoch().read());
    }
}

/// The finished run's trace and its final weights and test loss, as bytes.
fn finish(mut trainer: Trainer, mut trace: Trace) -> (Trace, Vec<u8>, u32) {
    while train_one(&mut trainer, &mut trace) {}
    let weights = trainer.model_file().read().to_bytes();
    assert_eq!(weights.capacity(), weights.len(), "a model file is written into one allocation of its size");
    (trace, weights, trainer.evaluate(EvalSet::Test).unwrap().read().loss.to_bits())
}

#[derive(Debug, Clone, Copy)]
enum Cut {
    /// After this many batches (a multiple of the epoch's: after its last batch, before `end_epoch`).
    AfterSteps(usize),
    /// After this many epochs, `end_epoch` included.
    AfterEpochs(usize),
}

fn interrupted(config: &TrainingConfig, cut: Cut) -> (Trace, Vec<u8>, u32) {
    let mut trainer = Trainer::new(config.clone(), data(), &Device::flex()).unwrap();
    assert_eq!(trainer.steps_per_epoch(), STEPS_PER_EPOCH);
    let mut trace = Trace::default();
    let steps = match cut {
        Cut::AfterSteps(steps) => steps,
        Cut::AfterEpochs(epochs) => epochs * STEPS_PER_EPOCH,
    };
    (0..steps).for_each(|_| assert!(train_one(&mut trainer, &mut trace)));
    if let Cut::AfterEpochs(_) = cut {
        trace.epoch(trainer.end_epoch().read());
    }
    let bytes = trainer.checkpoint().read().to_bytes();
    assert_eq!(bytes.capacity(), bytes.len(), "a checkpoint is written into one allocation of its size");
    drop(trainer);

    let checkpoint = Checkpoint::from_bytes(&bytes).unwrap();
    assert_eq!(checkpoint.global_step(), steps);
    let resumed = Trainer::resume(checkpoint, data(), &Device::flex()).unwrap();
    assert_eq!((resumed.global_step(), resumed.train_images()), (steps, TRAIN_IMAGES));
    finish(resumed, trace)
}

fn assert_resumes_exactly(name: &str, config: TrainingConfig, cuts: &[Cut]) {
    let _serial = serial();
    let started = std::time::Instant::now();
    let (trace, weights, test_loss) =
        finish(Trainer::new(config.clone(), data(), &Device::flex()).unwrap(), Trace::default());
    assert_eq!((trace.steps.len(), trace.epochs.len()), (2 * STEPS_PER_EPOCH, 2));
    for &cut in cuts {
        let (resumed_trace, resumed_weights, resumed_test_loss) = interrupted(&config, cut);
        assert_eq!(resumed_trace, trace, "{name}, cut {cut:?}: the steps and epochs differ");
        assert!(resumed_weights == weights, "{name}, cut {cut:?}: the final weights differ");
        assert_eq!(f32::from_bits(resumed_test_loss), f32::from_bits(test_loss), "{name}, cut {cut:?}");
    }
    eprintln!("{name}: {} cuts resumed exactly in {:.1} s", cuts.len(), started.elapsed().as_secs_f64());
}

const CUTS: [Cut; 4] = [Cut::AfterSteps(2), Cut::AfterSteps(STEPS_PER_EPOCH), Cut::AfterEpochs(1), Cut::AfterSteps(9)];

#[test]
fn adam_resumes_exactly_mid_epoch_and_at_epoch_boundaries() {
    assert_resumes_exactly("dense/adam", config(dense_128_128(), OptimizerKind::Adam), &CUTS);
}

#[test]
fn sgd_momentum_with_dropout_resumes_exactly() {
    let model = ModelConfig::Dense(DenseConfig::new().with_hidden(vec![128, 128]).with_dropout(0.3));
    assert_resumes_exactly("dense/sgd", config(model, OptimizerKind::Sgd), &CUTS);
}

#[test]
fn atelier_cnn_resumes_exactly_with_batch_norm_and_dropout() {
    let cuts = [Cut::AfterSteps(4), Cut::AfterEpochs(1)];
    assert_resumes_exactly(
        "atelier-cnn/adam",
        config(ModelChoice::AtelierCnn.default_config(), OptimizerKind::Adam),
        &cuts,
    );
}

/// A small trained run, its checkpoint's bytes, and the run (for model files).
fn small_run(model: ModelConfig, steps: usize) -> (Trainer, Vec<u8>) {
    let mut trainer =
        Trainer::new(config(model, OptimizerKind::Adam), data(), &Device::flex()).unwrap().with_clock(|| 0.0);
    (0..steps).for_each(|_| assert!(train_one(&mut trainer, &mut Trace::default())));
    let bytes = trainer.checkpoint().read().to_bytes();
    (trainer, bytes)
}

#[test]
fn async_reads_equal_blocking_reads() {
    let _serial = serial();
    // A stopped clock, so the two checkpoints' times agree too.
    let (trainer, blocking) = small_run(dense_128_128(), 3);
    let asynchronous = burn::tensor::read_sync(trainer.checkpoint().read_async()).unwrap().to_bytes();
    assert!(asynchronous == blocking, "read_async and read give different checkpoints");

    let config = trainer.config().clone();
    let pending = || PendingModelFile::new(trainer.model(), config.model.clone(), config.normalization);
    let asynchronous = burn::tensor::read_sync(pending().read_async()).unwrap().to_bytes();
    assert!(asynchronous == pending().read().to_bytes());
    // The checkpoint's weights are the model file's.
    assert!(Checkpoint::from_bytes(&blocking).unwrap().into_model_file().to_bytes() == asynchronous);
}

#[test]
fn model_file_round_trip_gives_identical_predictions() {
    let _serial = serial();
    let (trainer, _) = small_run(ModelChoice::AtelierCnn.default_config(), 4);
    let config = trainer.config().clone();
    let bytes = PendingModelFile::new(trainer.model(), config.model.clone(), config.normalization).read().to_bytes();
    let file = ModelFile::from_bytes(&bytes).unwrap();
    assert_eq!((file.kind(), file.normalization), (ModelChoice::AtelierCnn, config.normalization));

    let test = data().test.unwrap();
    let device = Device::flex();
    let images = Batcher::new(file.normalization).batch(&test, &(0..64).collect::<Vec<_>>(), None, &device).images;
    let logits =
        |model: &atelier::model::Model| model.forward(images.clone()).into_data().iter::<f32>().collect::<Vec<_>>();
    let trained = logits(&trainer.model().valid());
    assert!(logits(&file.load(&device).unwrap()) == trained, "the loaded model predicts differently");
    assert!(logits(&file.load(&device.clone().autodiff()).unwrap().valid()) == trained);
    assert!(trained.iter().any(|&logit| logit != trained[0]));
}

/// The error of every malformed input, all without a panic.
#[test]
fn bad_bytes_are_errors_with_readable_messages() {
    let _serial = serial();
    let (trainer, checkpoint) = small_run(ModelConfig::Dense(DenseConfig::new().with_hidden(vec![16])), 2);
    let config = trainer.config().clone();
    let model = PendingModelFile::new(trainer.model(), config.model.clone(), config.normalization).read();
    let model_bytes = model.to_bytes();
    let mut messages = Vec::new();
    let mut expect = |what: &str, result: Result<(), CheckpointError>, matches: fn(&CheckpointError) -> bool| {
        let error = result.expect_err(what);
        assert!(matches(&error), "{what}: {error:?}");
        messages.push(format!("{what}: {error}"));
    };
    macro_rules! refused {
        ($what:expr, $result:expr, $error:pat) => {
            expect($what, $result, |e| matches!(e, $error))
        };
    }
    let as_checkpoint = |bytes: &[u8]| Checkpoint::from_bytes(bytes).map(drop);
    let as_model = |bytes: &[u8]| ModelFile::from_bytes(bytes).map(drop);

    refused!("empty", as_checkpoint(&[]), CheckpointError::Empty { .. });
    for cut in [1, 7, 8, 11, 15, 200, checkpoint.len() / 2, checkpoint.len() - 9, checkpoint.len() - 1] {
        refused!(
            &format!("checkpoint cut at {cut}"),
            as_checkpoint(&checkpoint[..cut]),
            CheckpointError::Truncated { .. }
        );
    }
    for cut in [12, model_bytes.len() / 3, model_bytes.len() - 4] {
        refused!(&format!("model cut at {cut}"), as_model(&model_bytes[..cut]), CheckpointError::Truncated { .. });
    }
    refused!("a GIF", as_model(b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x00"), CheckpointError::NotAtelier { .. });
    let mut future = checkpoint.clone();
    future[8..12].copy_from_slice(&2u32.to_le_bytes());
    refused!("future version", as_checkpoint(&future), CheckpointError::UnsupportedVersion { found: 2, .. });
    let mut flipped = checkpoint.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    refused!("a flipped bit", as_checkpoint(&flipped), CheckpointError::Corrupt { .. });
    refused!("a checkpoint as a model file", as_model(&checkpoint), CheckpointError::WrongFile { .. });
    // A model file is safetensors now: to the checkpoint reader, just not one of its files.
    refused!("a model file as a checkpoint", as_checkpoint(&model_bytes), CheckpointError::NotAtelier { .. });

    // Dense weights labelled as an Atelier CNN: refused on import and on load.
    let mut relabelled = model.clone();
    relabelled.config = ModelChoice::AtelierCnn.default_config();
    refused!("dense weights as an Atelier CNN", as_model(&relabelled.to_bytes()), CheckpointError::Architecture { .. });
    refused!("loading them", relabelled.load(&Device::flex()).map(drop), CheckpointError::Architecture { .. });
    let mut huge = model.clone();
    huge.config = ModelConfig::Dense(DenseConfig::new().with_hidden(vec![1 << 30]));
    refused!("a config asking for 2^30 units", as_model(&huge.to_bytes()), CheckpointError::Corrupt { .. });

    // Hand-made files whose one array claims 10^12 values, or more than 2^64.
    refused!("10^12 values", as_model(&hostile_file(&[1_000_000, 1_000_000])), CheckpointError::Truncated { .. });
    refused!("2^256 values", as_model(&hostile_file(&[u32::MAX; 8])), CheckpointError::Truncated { .. });

    let other = TrainingData::new(common::synthetic(SplitKind::Train, 900, 5), None);
    let resumed = Trainer::resume(Checkpoint::from_bytes(&checkpoint).unwrap(), other, &Device::flex());
    refused!("other training data", resumed.map(drop), CheckpointError::OtherData(_));

    // Forged checkpoints, with a valid checksum: refused on reading or on resuming.
    let forged = |from: &str, to: &str| with_meta(&checkpoint, |meta| meta.replacen(from, to, 1));
    let batch = forged("\"batch_size\": 32", "\"batch_size\": 18446744073709551615");
    refused!("a batch of 2^64 - 1", as_checkpoint(&batch), CheckpointError::Corrupt { .. });
    let units = forged("\"hidden\": [\n        16", "\"hidden\": [\n        1073741824");
    refused!("a layer of 2^30 units", as_checkpoint(&units), CheckpointError::Corrupt { .. });
    let resume =
        |bytes: &[u8]| Trainer::resume(Checkpoint::from_bytes(bytes).unwrap(), data(), &Device::flex()).map(drop);
    let step = forged("\"global_step\": 2", "\"global_step\": 1000000000");
    refused!("step 10^9 of 12", resume(&step), CheckpointError::Corrupt { .. });
    let mut index = checkpoint.clone();
    let first_index = 16 + meta_len(&checkpoint) + 4 + 2 + "split/train".len() + 2 + 4;
    index[first_index..first_index + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    refused!("image 2^32 - 1", resume(&reseal(index)), CheckpointError::Corrupt { .. });
    eprintln!("{}", messages.join("\n"));
}

fn meta_len(file: &[u8]) -> usize {
    u32::from_le_bytes(file[12..16].try_into().unwrap()) as usize
}

/// `file` with its metadata JSON rewritten and its checksum recomputed, as a forger would.
fn with_meta(file: &[u8], rewrite: impl Fn(&str) -> String) -> Vec<u8> {
    let end = 16 + meta_len(file);
    let meta = rewrite(std::str::from_utf8(&file[16..end]).unwrap());
    assert_ne!(meta.as_bytes(), &file[16..end], "the rewrite changed nothing");
    let mut forged = file[..12].to_vec();
    forged.extend((meta.len() as u32).to_le_bytes());
    forged.extend(meta.as_bytes());
    forged.extend(&file[end..]);
    reseal(forged)
}

/// Replaces the trailing checksum: 64-bit FNV-1a of every byte before it.
fn reseal(mut file: Vec<u8>) -> Vec<u8> {
    let body = file.len() - 8;
    let hash = file[..body]
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3));
    file[body..].copy_from_slice(&hash.to_le_bytes());
    file
}

/// A model file whose single array has shape `dims` but no values (see `checkpoint/format.rs`).
fn hostile_file(dims: &[u32]) -> Vec<u8> {
    let meta = br#"{"model":{"kind":"dense","hidden":[16]},"normalization":"standard"}"#;
    let name = b"Dense.output.weight";
    let mut bytes = b"ATLRMODL".to_vec();
    bytes.extend(1u32.to_le_bytes());
    bytes.extend((meta.len() as u32).to_le_bytes());
    bytes.extend(meta);
    bytes.extend(1u32.to_le_bytes());
    bytes.extend((name.len() as u16).to_le_bytes());
    bytes.extend(name);
    bytes.extend([0, dims.len() as u8]);
    dims.iter().for_each(|dim| bytes.extend(dim.to_le_bytes()));
    bytes.extend([0; 64]);
    bytes
}

/// Checkpoint sizes of the full runs (all 55,000 training images): the weights and Adam's two
/// moments (three floats per weight) plus the split and the epoch's order (u32 each).
#[test]
fn checkpoint_sizes() {
    let _serial = serial();
    for model in [dense_128_128(), ModelChoice::AtelierCnn.default_config()] {
        let config = TrainingConfig::new().with_model(model).with_batch_size(16);
        let mut trainer = Trainer::new(config, data(), &Device::flex()).unwrap();
        trainer.step().unwrap().read();
        let weights = trainer.model_file().read();
        let checkpoint = trainer.checkpoint().read();
        let bytes = checkpoint.to_bytes();
        let indices = trainer.train_images() * 2 + trainer.validation_images();
        eprintln!(
            "{:?}: {} weights, model file {} bytes, checkpoint {} bytes",
            checkpoint.config().model.kind(),
            weights.weight_count(),
            weights.to_bytes().len(),
            bytes.len()
        );
        // Batch-norm statistics have no moments; names, shapes and the JSON take a few kB.
        let payload = 4 * (indices + 3 * weights.weight_count());
        assert!(
            (payload - 8_192..payload + 16_384).contains(&bytes.len()),
            "{} bytes for a payload of {payload}",
            bytes.len()
        );
    }
}
