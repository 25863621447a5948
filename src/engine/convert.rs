//! From the page's plain settings to the engine's config, and the worker's memory figures.

use burn::prelude::Device;
use wasm_bindgen::JsCast;

use crate::model::{AtelierCnnConfig, BaselineCnnConfig, DenseConfig, ModelConfig};
use crate::protocol::{EngineMemory, ModelChoice, RunSettings};
use crate::training::TrainingConfig;

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

/// The worker's wasm linear memory, in bytes.
fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
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
