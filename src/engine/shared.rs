//! What every part of a worker shares: the context the command handler, the run loop, the
//! race, the classifier and saving all work on, and the worker's clock and yields. It imports
//! nothing of theirs but the types it holds; they import it (and `runner` imports them).

use std::cell::RefCell;
use std::rc::Rc;

use gloo_worker::{HandlerId, WorkerScope};
use wasm_bindgen::JsCast;

use super::backend::Backend;
use super::chooser::Chooser;
use super::classify::Pretrained;
use super::weights::WeightsChannel;
use super::worker::EngineWorker;
use crate::data::{Split, SplitKind};
use crate::model::Model;
use crate::protocol::{FromEngine, RunState};
use crate::training::{Normalization, TrainingData};
use crate::web::{DatasetEvent, load_dataset};

/// How often step metrics go to the page: often enough for smooth charts, rarely enough that a
/// fast model cannot flood the main thread.
pub(super) const FLUSH_SECONDS: f64 = 0.1;

/// How long after the page's last word that the user draws a run keeps holding its steps:
/// strokes come in bursts with pauses between them, and the run would otherwise train a step
/// between two strokes, which the next stroke's answer would wait behind.
pub(super) const DRAWING_SECONDS: f64 = 1.5;

pub(super) struct Shared {
    pub(super) scope: WorkerScope<EngineWorker>,
    pub(super) page: Option<HandlerId>,
    pub(super) backend: Option<Backend>,
    /// Which backend, and why: the race between WebGPU and the CPU.
    pub(super) chooser: Chooser,
    /// Set by [`ToEngine::Snapshot`]: the run loop sends a checkpoint at its next step.
    pub(super) snapshot_requested: bool,
    /// Seconds of training between checkpoints within an epoch (besides those at epoch ends,
    /// at Pause and at Stop), so a reload in a long epoch loses at most that.
    pub(super) checkpoint_seconds: f64,
    /// `ToEngine::Init::min_step_seconds`.
    pub(super) min_step_seconds: f64,
    /// `ToEngine::Init::cpu_workers`.
    pub(super) cpu_workers: usize,
    /// Until when (on [`now`]'s clock) the user is taken to be drawing (`ToEngine::Drawing`): a
    /// run on the CPU's cores holds its steps until then (`stepping`).
    pub(super) drawing_until: f64,
    /// Set by `TestHook::Diverge`: the run loop ruins its weights before its next step.
    pub(super) diverge_requested: bool,
    /// Model files being imported: a classification with the last run's weights waits for them.
    pub(super) importing: usize,
    pub(super) data_base: String,
    pub(super) data: Option<TrainingData>,
    pub(super) state: RunState,
    /// Bumped by every Start and Reset so a superseded loop ends.
    pub(super) run_id: u64,
    /// The weights of the last run, kept when it finishes, stops or fails, and how that run
    /// normalised its inputs.
    pub(super) model: Option<Model>,
    pub(super) last_normalization: Option<Normalization>,
    /// The same weights as a model file, for Export.
    pub(super) last_model_file: Option<Vec<u8>>,
    pub(super) pretrained: Pretrained,
    /// The shipped dense network, for the lesson's "why a CNN wins" (`inspect`).
    pub(super) dense: Pretrained,
    /// Where the trainer's weights go to the classifier (see `weights`).
    pub(super) weights: Option<WeightsChannel>,
}

impl Shared {
    pub(super) fn send(&self, event: FromEngine) {
        if let Some(page) = self.page {
            self.scope.respond(page, event);
        }
    }

    pub(super) fn send_phase(&self) {
        self.send(FromEngine::Phase(self.state.clone()));
    }
}

thread_local! {
    static PERFORMANCE: Option<web_sys::Performance> = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok());
    /// `() => Promise` settled by a message to itself (see [`yield_to_events`]).
    static NEXT_TASK: js_sys::Function = js_sys::Function::new_no_args(
        "const channel = new MessageChannel();
         const waiting = [];
         channel.port1.onmessage = () => waiting.shift()();
         return () => new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(0); });",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .ok()
    .and_then(|f| f.dyn_into().ok())
    .unwrap_or_else(|| js_sys::Function::new_no_args("return new Promise((resolve) => setTimeout(resolve, 0))"));
}

/// Seconds on the worker's monotonic clock (`Instant` panics in wasm).
pub(super) fn now() -> f64 {
    PERFORMANCE.with(|p| p.as_ref().map_or(0.0, |p| p.now() / 1000.0))
}

/// Lets queued messages (Pause, Stop) in before the next step. With `ms` = 0 the wait is one
/// message to itself, not `setTimeout(0)`: timers nested in timers are clamped to 4 ms, which
/// a loop that yields every few steps paid each time (a Dense step on the CPU takes less).
pub(super) async fn yield_to_events(ms: u32) {
    if ms > 0 {
        return gloo_timers::future::TimeoutFuture::new(ms).await;
    }
    let next = NEXT_TASK.with(|f| f.call0(&wasm_bindgen::JsValue::NULL));
    if let Ok(promise) = next.and_then(|p| p.dyn_into::<js_sys::Promise>()) {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// Lets other tasks of this worker that need no event (a CPU tensor read) run, without the
/// timer's delay; what waits on the device or on a message needs [`yield_to_events`].
pub(super) async fn yield_to_tasks() {
    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&wasm_bindgen::JsValue::UNDEFINED)).await;
}

pub(super) async fn ensure_data(shared: &Rc<RefCell<Shared>>) -> Result<TrainingData, String> {
    if let Some(data) = shared.borrow().data.clone() {
        return Ok(data);
    }
    let base = shared.borrow().data_base.clone();
    let splits: RefCell<Vec<Split>> = RefCell::default();
    let on_event = |event| {
        if let DatasetEvent::Split(split) = event {
            splits.borrow_mut().push(Rc::try_unwrap(split).unwrap_or_else(|rc| (*rc).clone()));
        }
    };
    load_dataset(&base, false, &on_event).await.map_err(|e| e.to_string())?;
    let mut splits = splits.into_inner();
    let train = splits.iter().position(|s| s.kind == SplitKind::Train).map(|i| splits.remove(i));
    let test = splits.pop();
    let data = TrainingData::new(train.ok_or("the training images did not load")?, test);
    shared.borrow_mut().data = Some(data.clone());
    Ok(data)
}
