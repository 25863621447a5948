//! What the page's address asks of the engine: the backends the user forced, and the knobs the
//! tests and the benchmark turn (checkpoint interval, loss readback).

use crate::protocol::BackendKind;
use crate::web::query_param;

/// `?checkpoint_every=S`: seconds of training between checkpoints within an epoch (30 by
/// default; the tests take them sooner).
pub fn checkpoint_seconds() -> f64 {
    query_param("checkpoint_every").and_then(|v| v.parse().ok()).filter(|&s: &f64| s >= 1.0).unwrap_or(30.0)
}

/// `?step_ms=N`: each training step takes at least N ms (tests that act within a run; 0 by
/// default).
pub fn min_step_seconds() -> f64 {
    query_param("step_ms").and_then(|v| v.parse().ok()).filter(|&ms: &f64| ms > 0.0).map_or(0.0, |ms| ms / 1000.0)
}

/// `?workers=N`: N workers train a CNN on the CPU together (the benchmark's scaling table; 0,
/// the default, lets the engine choose one per core).
pub fn cpu_workers() -> usize {
    query_param("workers").and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// `?readback=N`: the worker reads the loss back only every N steps (benchmarks; 1 by default).
pub fn readback_every() -> usize {
    query_param("readback").and_then(|v| v.parse().ok()).filter(|&n| n >= 1).unwrap_or(1)
}

/// The user's choice in the address: `?backend=webgpu|cpu` for the page (training and, unless
/// `?classify=` says otherwise, classifying); `?classify=webgpu|cpu|auto` for classifying alone
/// (`auto`: measured). Without a choice the faster backend is measured.
pub fn forced(param: &str) -> Option<BackendKind> {
    let value = query_param(param).or_else(|| (param == "classify").then(|| query_param("backend")).flatten());
    match value.as_deref() {
        Some("cpu") => Some(BackendKind::Cpu),
        Some("webgpu" | "gpu") => Some(BackendKind::WebGpu),
        _ => None,
    }
}
