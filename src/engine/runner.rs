//! The run loop: one async task that owns the trainer, steps it, reads results back without
//! blocking, batches metrics for the page, and obeys Pause / Resume / Stop / Reset between steps.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use gloo_worker::{HandlerId, WorkerScope};
use wasm_bindgen_futures::spawn_local;

use super::backend::{Backend, choose_backend, cpu};
use super::worker::EngineWorker;
use crate::data::{Split, SplitKind};
use crate::model::{ActivationKind, BaselineCnnConfig, AtelierCnnConfig, DenseConfig, ModelConfig};
use crate::protocol::{Activation, BackendKind, EpochPoint, FromEngine, ModelChoice, RunPhase, RunSettings, StepPoint, ToEngine};
use crate::training::{EpochReport, OptimizerKind, RunEvent, RunState, StepReport, Trainer, TrainingConfig, TrainingData};
use crate::web::{DatasetEvent, load_dataset};

/// How often step metrics go to the page: often enough for smooth charts, rarely enough that a
/// fast model cannot flood the main thread.
const FLUSH_SECONDS: f64 = 0.1;

struct Shared {
    scope: WorkerScope<EngineWorker>,
    page: Option<HandlerId>,
    backend: Option<Backend>,
    /// The checked WebGPU backend once started (a wgpu runtime starts only once per worker).
    webgpu: Option<Backend>,
    data_base: String,
    data: Option<TrainingData>,
    state: RunState,
    /// Bumped by every Start and Reset so a superseded loop ends.
    run_id: u64,
}

impl Shared {
    fn send(&self, event: FromEngine) {
        if let Some(page) = self.page {
            self.scope.respond(page, event);
        }
    }

    fn send_phase(&self) {
        self.send(FromEngine::Phase(phase_of(&self.state)));
    }
}

fn phase_of(state: &RunState) -> RunPhase {
    match state {
        RunState::Idle => RunPhase::Idle,
        RunState::Running => RunPhase::Running,
        RunState::Paused => RunPhase::Paused,
        RunState::Done { stopped_early } => RunPhase::Done { stopped_early: *stopped_early },
        RunState::Error(message) => RunPhase::Error(message.clone()),
    }
}

pub struct Engine {
    shared: Rc<RefCell<Shared>>,
}

thread_local! {
    /// Where a panic report goes: a panic poisons the wasm instance, but the hook still runs.
    static PAGE: RefCell<Option<(WorkerScope<EngineWorker>, HandlerId)>> = const { RefCell::new(None) };
}

/// Tells the page the engine died (called from the panic hook), so it never waits on "training".
pub fn report_crash(message: &str) {
    PAGE.with(|page| {
        if let Some((scope, id)) = page.borrow().as_ref() {
            let text = format!("The engine stopped unexpectedly ({message}). Reload the page to start it again.");
            scope.respond(*id, FromEngine::Phase(RunPhase::Error(text)));
        }
    });
}

impl Engine {
    pub fn new(scope: WorkerScope<EngineWorker>) -> Self {
        let shared = Shared {
            scope,
            page: None,
            backend: None,
            webgpu: None,
            data_base: "data/".into(),
            data: None,
            state: RunState::Idle,
            run_id: 0,
        };
        Self { shared: Rc::new(RefCell::new(shared)) }
    }

    pub fn command(&mut self, command: ToEngine, from: HandlerId) {
        let shared = self.shared.clone();
        shared.borrow_mut().page = Some(from);
        PAGE.with(|page| *page.borrow_mut() = Some((shared.borrow().scope.clone(), from)));
        match command {
            ToEngine::Init { force_cpu, data_base } => {
                shared.borrow_mut().data_base = data_base;
                if force_cpu {
                    use_backend(&shared, cpu("CPU chosen (?backend=cpu) — training on the CPU"));
                } else {
                    spawn_local(start_webgpu(shared));
                }
            }
            ToEngine::ChooseBackend { cpu: want_cpu } => {
                if shared.borrow().state.is_active() {
                    shared.borrow().send(FromEngine::Refused("Stop the run before switching backends.".into()));
                } else if want_cpu {
                    use_backend(&shared, cpu("CPU chosen in the settings — training on the CPU"));
                } else {
                    let started = shared.borrow().webgpu.clone();
                    match started {
                        Some(webgpu) => use_backend(&shared, webgpu),
                        None => spawn_local(start_webgpu(shared)),
                    }
                }
            }
            ToEngine::Start(settings) => {
                let mut s = shared.borrow_mut();
                if s.backend.is_none() {
                    s.send(FromEngine::Refused("The engine is still starting; try again in a moment.".into()));
                    return;
                }
                // A finished, stopped or failed run makes way for the new one.
                if matches!(s.state, RunState::Done { .. } | RunState::Error(_)) {
                    s.state = RunState::Idle;
                }
                if let Err(err) = s.state.transition(&RunEvent::Start) {
                    s.send(FromEngine::Refused(err.to_string()));
                    return;
                }
                s.run_id += 1;
                let run_id = s.run_id;
                drop(s);
                spawn_local(run(shared, settings, run_id));
            }
            ToEngine::Pause => self.transition(RunEvent::Pause),
            ToEngine::Resume => self.transition(RunEvent::Resume),
            ToEngine::Stop => self.transition(RunEvent::Stop),
            ToEngine::Reset => {
                self.transition(RunEvent::Reset);
                self.shared.borrow_mut().run_id += 1;
            }
        }
    }

    fn transition(&self, event: RunEvent) {
        let mut s = self.shared.borrow_mut();
        match s.state.transition(&event) {
            Ok(()) => s.send_phase(),
            Err(err) => s.send(FromEngine::Refused(err.to_string())),
        }
    }
}

fn use_backend(shared: &Rc<RefCell<Shared>>, backend: Backend) {
    let mut s = shared.borrow_mut();
    s.send(FromEngine::Backend { kind: backend.kind, detail: backend.detail.clone(), check: backend.check });
    if backend.kind == BackendKind::WebGpu {
        s.webgpu = Some(backend.clone());
    }
    s.backend = Some(backend);
}

async fn start_webgpu(shared: Rc<RefCell<Shared>>) {
    let backend = choose_backend().await;
    use_backend(&shared, backend);
}

fn training_config(s: &RunSettings) -> TrainingConfig {
    let model = match s.model {
        ModelChoice::Dense => ModelConfig::Dense(
            DenseConfig::new()
                .with_hidden(s.hidden.clone())
                .with_activation(match s.activation {
                    Activation::Relu => ActivationKind::Relu,
                    Activation::Sigmoid => ActivationKind::Sigmoid,
                    Activation::Tanh => ActivationKind::Tanh,
                    Activation::Gelu => ActivationKind::Gelu,
                })
                .with_dropout(s.dropout),
        ),
        ModelChoice::BaselineCnn => ModelConfig::BaselineCnn(BaselineCnnConfig::new()),
        ModelChoice::AtelierCnn => ModelConfig::AtelierCnn(AtelierCnnConfig::new()),
    };
    TrainingConfig::new()
        .with_model(model)
        .with_optimizer(OptimizerKind::from_name(&s.optimizer).unwrap_or_default())
        .with_learning_rate(s.learning_rate)
        .with_momentum(s.momentum)
        .with_batch_size(s.batch_size)
        .with_epochs(s.epochs)
        .with_validation_size(s.validation_size)
        .with_train_subset(s.train_subset)
        .with_augment(s.augment)
        .with_seed(s.seed)
}

/// Seconds on the worker's monotonic clock (`Instant` panics in wasm).
fn now() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map(|p| p.now() / 1000.0)
        .unwrap_or(0.0)
}

use wasm_bindgen::JsCast;

/// Lets queued messages (Pause, Stop) in before the next step.
async fn yield_to_events(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

async fn ensure_data(shared: &Rc<RefCell<Shared>>) -> Result<TrainingData, String> {
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
    load_dataset(&base, &on_event).await.map_err(|e| e.to_string())?;
    let mut splits = splits.into_inner();
    let train = splits.iter().position(|s| s.kind == SplitKind::Train).map(|i| splits.remove(i));
    let test = splits.pop();
    let data = TrainingData::new(train.ok_or("the training images did not load")?, test);
    shared.borrow_mut().data = Some(data.clone());
    Ok(data)
}

fn step_point(report: &StepReport, total_steps: usize) -> StepPoint {
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

fn epoch_point(report: &EpochReport, device: &Device) -> EpochPoint {
    let (val, test) = (report.validation, report.test);
    let pool = device.memory_pool_usage();
    EpochPoint {
        epoch: report.epoch,
        epochs: report.epochs,
        validation_loss: val.map_or(f32::NAN, |r| r.loss),
        validation_accuracy: val.map_or(f32::NAN, |r| r.accuracy),
        test_loss: test.map_or(f32::NAN, |r| r.loss),
        test_accuracy: test.map_or(f32::NAN, |r| r.accuracy),
        elapsed_seconds: report.elapsed_seconds,
        eta_seconds: report.eta_seconds,
        wasm_memory_bytes: wasm_memory_bytes(),
        device_bytes_in_use: pool.map(|p| p.bytes_in_use),
        device_bytes_reserved: pool.map(|p| p.bytes_reserved),
    }
}

fn fail(shared: &Rc<RefCell<Shared>>, message: String) {
    let mut s = shared.borrow_mut();
    let _ = s.state.transition(&RunEvent::Fail(message));
    s.send_phase();
}

async fn run(shared: Rc<RefCell<Shared>>, settings: RunSettings, run_id: u64) {
    let current = |shared: &Rc<RefCell<Shared>>| shared.borrow().run_id == run_id;
    shared.borrow().send(FromEngine::Phase(RunPhase::Preparing("Loading the training images…".into())));
    let data = match ensure_data(&shared).await {
        Ok(data) => data,
        Err(message) => return fail(&shared, format!("Could not load the data: {message}")),
    };
    let device: Device = shared.borrow().backend.as_ref().expect("backend chosen before Start").device.clone();
    let mut trainer = match Trainer::new(training_config(&settings), data, &device) {
        Ok(trainer) => trainer.with_clock(now),
        Err(err) => return fail(&shared, err.to_string()),
    };
    let total_steps = trainer.steps_per_epoch() * settings.epochs;
    shared.borrow().send(FromEngine::Phase(RunPhase::Preparing("Preparing the first step…".into())));

    let mut buffer: Vec<StepPoint> = Vec::new();
    let mut last_flush = now();
    let mut announced = false;
    loop {
        if !current(&shared) {
            return;
        }
        let state = shared.borrow().state.clone();
        match state {
            RunState::Running => {}
            RunState::Paused => {
                flush(&shared, &mut buffer);
                yield_to_events(50).await;
                continue;
            }
            _ => break,
        }
        if trainer.is_finished() {
            let mut s = shared.borrow_mut();
            let _ = s.state.transition(&RunEvent::Finish);
            break;
        }
        match trainer.step() {
            Some(pending) => match pending.read_async().await {
                Ok(report) => {
                    if !announced {
                        announced = true;
                        shared.borrow().send_phase();
                    }
                    buffer.push(step_point(&report, total_steps));
                    if now() - last_flush >= FLUSH_SECONDS {
                        flush(&shared, &mut buffer);
                        last_flush = now();
                    }
                }
                Err(err) => return fail(&shared, format!("The GPU stopped responding ({err:?}); the last good weights are kept.")),
            },
            None => {
                flush(&shared, &mut buffer);
                match trainer.end_epoch().read_async().await {
                    Ok(report) => shared.borrow().send(FromEngine::Epoch(epoch_point(&report, &device))),
                    Err(err) => return fail(&shared, format!("Evaluation failed ({err:?})")),
                }
            }
        }
        yield_to_events(0).await;
    }
    flush(&shared, &mut buffer);
    if current(&shared) {
        shared.borrow().send_phase();
    }
}

fn flush(shared: &Rc<RefCell<Shared>>, buffer: &mut Vec<StepPoint>) {
    if !buffer.is_empty() {
        shared.borrow().send(FromEngine::Steps(std::mem::take(buffer)));
    }
}
