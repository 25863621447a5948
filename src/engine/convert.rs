//! From the page's plain settings to the engine's config, and from reports to messages.

use burn::prelude::Device;
use wasm_bindgen::JsCast;

use crate::model::{AtelierCnnConfig, BaselineCnnConfig, DenseConfig, ModelConfig};
use crate::protocol::{EngineMemory, EpochPoint, ModelChoice, RunSettings, StepPoint};
use crate::training::{EpochReport, StepReport, TrainingConfig};

pub fn training_config(s: &RunSettings) -> TrainingConfig {
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

pub fn step_point(report: &StepReport, total_steps: usize) -> StepPoint {
    let i = &report.info;
    StepPoint {
        epoch: i.epoch,
        step: i.step,
        steps_per_epoch: i.steps_per_epoch,
        global_step: i.global_step,
        total_steps,
        loss: report.loss,
        accuracy: report.accuracy,
        images_per_second: i.images_per_second,
        elapsed_seconds: i.elapsed_seconds,
        eta_seconds: i.eta_seconds,
    }
}

/// The worker's wasm linear memory, in bytes.
fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

pub fn epoch_point(report: &EpochReport) -> EpochPoint {
    let (val, test) = (report.validation, report.test);
    EpochPoint {
        epoch: report.epoch,
        epochs: report.epochs,
        validation_loss: val.map_or(f32::NAN, |r| r.loss),
        validation_accuracy: val.map_or(f32::NAN, |r| r.accuracy),
        test_loss: test.map_or(f32::NAN, |r| r.loss),
        test_accuracy: test.map_or(f32::NAN, |r| r.accuracy),
        elapsed_seconds: report.elapsed_seconds,
        eta_seconds: report.eta_seconds,
    }
}

pub fn engine_memory(epoch: usize, device: &Device) -> EngineMemory {
    let pool = device.memory_pool_usage();
    EngineMemory {
        epoch,
        wasm_bytes: wasm_memory_bytes(),
        device_bytes_in_use: pool.map(|p| p.bytes_in_use),
        device_bytes_reserved: pool.map(|p| p.bytes_reserved),
    }
}
