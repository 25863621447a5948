//! The worker's memory figures.

use burn::prelude::Device;
use wasm_bindgen::JsCast;

use crate::protocol::EngineMemory;

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
