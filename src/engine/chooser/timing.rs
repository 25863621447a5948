//! A race's timing: the workload on the CPU, then on WebGPU, decided at the budget with what
//! is in; the GPU's figure completed in the background (rules and words: `crate::race`).

use std::cell::Cell;
use std::rc::Rc;

use burn::prelude::Device;
use wasm_bindgen_futures::spawn_local;

use super::{Rates, SharedRef, decide, report};
use crate::engine::backend::ensure_webgpu;
use crate::engine::measure::{time_classify, time_evaluation, time_training};
use crate::engine::shared::{now, yield_to_events};
use crate::inference::PRETRAINED_NORMALIZATION;
use crate::protocol::EngineRole;
use crate::race::{Choice, RACE_BUDGET_SECONDS, RaceRecord};

/// Times the CPU, then WebGPU; decides when both are in or at the deadline.
pub(super) async fn race(shared: &SharedRef, generation: u64) {
    let start = now();
    {
        let mut s = shared.borrow_mut();
        if s.chooser.forced.is_none() {
            s.chooser.choice = Choice::Measuring;
        }
        s.chooser.deadline = start + RACE_BUDGET_SECONDS;
    }
    report(shared);
    let current = |shared: &SharedRef| shared.borrow().chooser.generation == generation;
    let (cpu_rate, cpu_eval) = time_on(shared, &Device::flex(), generation, start + RACE_BUDGET_SECONDS).await;
    if !current(shared) {
        return;
    }
    let gpu_rate = time_gpu(shared, generation);
    let deadline = shared.borrow().chooser.deadline;
    while gpu_rate.get().is_none() && now() < deadline && current(shared) {
        yield_to_events(25).await;
    }
    let (adapter, workload) = {
        let c = &shared.borrow().chooser;
        (c.gpu.adapter().unwrap_or_default().to_string(), c.workload())
    };
    let (gpu, gpu_eval) = gpu_rate.get().unwrap_or_default();
    let record = RaceRecord {
        adapter,
        workload,
        cpu: cpu_rate,
        gpu,
        seconds: now() - start,
        complete: gpu_rate.get().is_some(),
        cpu_eval,
        gpu_eval,
    };
    decide(shared, record.clone(), Choice::Measured, generation).await;
    if !record.complete {
        complete(shared, record, start, generation, gpu_rate).await;
    }
}

/// A stored race that decided without the GPU's figure (a reload cut it short, or a run
/// started first): its decision at once, with no new race, then the GPU's figure in the
/// background as [`race`] would have completed it.
pub(super) async fn resume(shared: &SharedRef, record: RaceRecord, generation: u64) {
    // Decided by this visit's own race (before a run): not "measured on an earlier visit".
    let choice = match shared.borrow().chooser.choice {
        Choice::Measured => Choice::Measured,
        _ => Choice::Cached,
    };
    decide(shared, record.clone(), choice, generation).await;
    let gpu_rate = time_gpu(shared, generation);
    complete(shared, record, now(), generation, gpu_rate).await;
}

/// Times the workload on WebGPU in the background; the cell fills when its rates are in.
fn time_gpu(shared: &SharedRef, generation: u64) -> Rc<Cell<Option<Rates>>> {
    let gpu_rate: Rc<Cell<Option<Rates>>> = Rc::default();
    let (shared, cell) = (shared.clone(), gpu_rate.clone());
    spawn_local(async move {
        let rates = match ensure_webgpu(&shared).await {
            Ok(backend) => time_on(&shared, &backend.device, generation, f64::INFINITY).await,
            Err(_) => (None, None),
        };
        cell.set(Some(rates));
    });
    gpu_rate
}

/// Decided without the GPU's figure: completes it in the background while nothing trains,
/// then decides again with both.
async fn complete(
    shared: &SharedRef,
    mut record: RaceRecord,
    start: f64,
    generation: u64,
    gpu_rate: Rc<Cell<Option<Rates>>>,
) {
    let current = |shared: &SharedRef| shared.borrow().chooser.generation == generation;
    while gpu_rate.get().is_none() && current(shared) {
        yield_to_events(100).await;
    }
    if let Some((rate, eval)) = gpu_rate.get().filter(|_| current(shared)) {
        record.gpu = rate;
        record.gpu_eval = eval;
        // The CPU's evaluation figure, when the budget left no time for it.
        if record.cpu_eval.is_none() && shared.borrow().chooser.role == EngineRole::Trainer {
            let settings = shared.borrow().chooser.settings.clone();
            record.cpu_eval = time_evaluation(&settings, &Device::flex()).await;
        }
        record.seconds = now() - start;
        record.complete = true;
        decide(shared, record, Choice::Measured, generation).await;
    }
}

/// The workload's rate on `device` (and the trainer's evaluation rate, when `deadline` leaves
/// time for it), `None` where it failed or the race was superseded.
async fn time_on(shared: &SharedRef, device: &Device, generation: u64, deadline: f64) -> Rates {
    let weak = Rc::downgrade(shared);
    let cancelled = move || weak.upgrade().is_none_or(|s| s.borrow().chooser.generation != generation);
    let (role, settings) = {
        let c = &shared.borrow().chooser;
        (c.role, c.settings.clone())
    };
    match role {
        EngineRole::Trainer => {
            let training = time_training(&settings, device, deadline, &cancelled).await;
            // Forward passes of 256 images take about what 256 / (3 × the training rate) says.
            let expected = training.map_or(f64::INFINITY, |rate| 256.0 / (3.0 * rate.max(1e-9)));
            let evaluation = match training {
                Some(_) if !cancelled() && now() + expected < deadline => time_evaluation(&settings, device).await,
                _ => None,
            };
            (training, evaluation)
        }
        EngineRole::Classifier => {
            let Ok(file) = crate::engine::classify::pretrained_file_ready(shared).await else {
                return (None, None);
            };
            let Ok(model) = file.load(device) else {
                return (None, None);
            };
            (time_classify(&model, PRETRAINED_NORMALIZATION, cancelled).await, None)
        }
    }
}
