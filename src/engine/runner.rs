//! A worker's commands, and the start of a run: the command handler routes each `ToEngine`
//! and starts the run loop (`stepping`) on the trainer built here.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use gloo_worker::{HandlerId, WorkerScope};
use wasm_bindgen_futures::spawn_local;

use super::backend::lose_gpu_device;
use super::chooser::{self, Chooser};
use super::classify::{Pretrained, Shipped, classify, fetch_shipped, measure_inference};
use super::inspect::inspect;
use super::replicas::Replicas;
use super::saving::{export_model, import_model, resume_trainer, send_checkpoint};
use super::shared::{DRAWING_SECONDS, Shared, ensure_data, now};
use super::stepping::{Halt, train};
use super::weights::WeightsChannel;
use super::worker::EngineWorker;
use crate::protocol::{
    BackendKind, EngineRole, FromEngine, PROTOCOL_VERSION, RunEvent, RunSettings, RunState, TestHook, ToEngine,
};
use crate::training::{Trainer, TrainingConfig, cpu_workers};
use wasm_bindgen::JsCast;

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
            scope.respond(*id, FromEngine::Crashed(message.to_string()));
        }
    });
}

impl Engine {
    pub fn new(scope: WorkerScope<EngineWorker>) -> Self {
        let shared = Shared {
            scope,
            page: None,
            backend: None,
            chooser: Chooser::new(EngineRole::Trainer),
            snapshot_requested: false,
            diverge_requested: false,
            checkpoint_seconds: 30.0,
            min_step_seconds: 0.0,
            cpu_workers: 0,
            drawing_until: 0.0,
            importing: 0,
            data_base: "data/".into(),
            data: None,
            state: RunState::Idle,
            run_id: 0,
            model: None,
            last_normalization: None,
            last_model_file: None,
            pretrained: Pretrained::default(),
            dense: Pretrained::default(),
            weights: None,
        };
        Self { shared: Rc::new(RefCell::new(shared)) }
    }

    pub fn command(&mut self, command: ToEngine, from: HandlerId) {
        let shared = self.shared.clone();
        shared.borrow_mut().page = Some(from);
        PAGE.with(|page| *page.borrow_mut() = Some((shared.borrow().scope.clone(), from)));
        match command {
            ToEngine::Hello(_) => shared.borrow().send(FromEngine::Hello(engine_protocol())),
            ToEngine::Init {
                role,
                force,
                settings,
                known,
                data_base,
                pretrained_url,
                dense_url,
                weights_channel,
                checkpoint_seconds,
                min_step_seconds,
                cpu_workers,
            } => {
                shared.borrow_mut().data_base = data_base;
                shared.borrow_mut().checkpoint_seconds = checkpoint_seconds;
                shared.borrow_mut().min_step_seconds = min_step_seconds;
                shared.borrow_mut().cpu_workers = cpu_workers;
                let weights = match role {
                    EngineRole::Trainer => WeightsChannel::for_trainer(&weights_channel),
                    EngineRole::Classifier => {
                        fetch_shipped(shared.clone(), pretrained_url, Shipped::Cnn);
                        fetch_shipped(shared.clone(), dense_url, Shipped::Dense);
                        WeightsChannel::for_classifier(&weights_channel, &shared)
                    }
                };
                shared.borrow_mut().weights = weights;
                chooser::init(&shared, role, force, settings, known);
            }
            ToEngine::Workload(settings) => chooser::set_workload(&shared, settings),
            ToEngine::ChooseBackend(kind) => {
                if shared.borrow().state.is_active() {
                    shared.borrow().send(FromEngine::Refused("Stop the run before switching backends.".into()));
                } else {
                    chooser::choose(&shared, kind);
                }
            }
            ToEngine::Snapshot => {
                let mut s = shared.borrow_mut();
                if s.state.is_active() {
                    s.snapshot_requested = true;
                } else if let (Some(channel), Some(bytes)) = (&s.weights, &s.last_model_file) {
                    channel.publish(bytes);
                }
            }
            ToEngine::Start { run, settings } => begin(shared, run, RunStart::Fresh(settings)),
            ToEngine::ResumeRun { run, checkpoint, readback_every } => {
                begin(shared, run, RunStart::Resume { checkpoint, readback_every })
            }
            ToEngine::ExportModel => export_model(&shared),
            ToEngine::ImportModel { bytes, quiet } => {
                if shared.borrow().state.is_active() {
                    shared.borrow().send(FromEngine::ModelImported {
                        result: Err("a run is training: stop it first".into()),
                        quiet,
                    });
                } else {
                    import_model(shared, bytes, quiet);
                }
            }
            ToEngine::Drawing => shared.borrow_mut().drawing_until = now() + DRAWING_SECONDS,
            ToEngine::Classify(request) => classify(shared, request),
            ToEngine::Inspect(request) => inspect(shared, request),
            ToEngine::Test(TestHook::MeasureInference) => measure_inference(shared),
            ToEngine::Test(TestHook::Diverge) => self.shared.borrow_mut().diverge_requested = true,
            ToEngine::Test(TestHook::Trap) => trap(),
            ToEngine::Test(TestHook::FailAllocation) => fail_allocation(),
            ToEngine::Test(hook @ (TestHook::TrapHelper | TestHook::TrapHelperAtEvaluation)) => {
                if !super::replicas::trap_helper(hook == TestHook::TrapHelperAtEvaluation) {
                    shared.borrow().send(FromEngine::Refused("No helper is training.".into()));
                }
            }
            ToEngine::Test(TestHook::LoseGpu) => {
                if !lose_gpu_device() {
                    shared.borrow().send(FromEngine::Refused("There is no WebGPU device to lose.".into()));
                }
            }
            // The run loop announces the pause once its last step reads are in.
            ToEngine::Pause => {
                let mut s = self.shared.borrow_mut();
                if let Err(err) = s.state.transition(&RunEvent::Pause) {
                    s.send(FromEngine::Refused(err.to_string()));
                }
            }
            ToEngine::Resume => self.transition(RunEvent::Resume),
            // Announced by the run once its last steps are sent and its stop checkpoint stored:
            // a "done" before them let another tab take the run over from a record that lacked
            // the steps the checkpoint held (they were never listed anywhere).
            ToEngine::Stop => {
                let mut s = self.shared.borrow_mut();
                if let Err(err) = s.state.transition(&RunEvent::Stop) {
                    s.send(FromEngine::Refused(err.to_string()));
                }
            }
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

/// A trap with no panic before it (`TestHook::Trap`): the page must notice the worker is dead
/// from outside it.
fn trap() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::abort();
}

/// An allocation that fails (`TestHook::FailAllocation`): what Rust does when the wasm memory cannot
/// grow, an abort without a panic. (Growing it to its 4 GB end for real took the whole
/// headless Chromium renderer down, page and all: no page can survive that.)
fn fail_allocation() {
    std::alloc::handle_alloc_error(std::alloc::Layout::from_size_align(1 << 30, 8).expect("a valid layout"));
}

/// The protocol version this engine speaks: [`PROTOCOL_VERSION`], unless its loader was given
/// `?protocol=N` (the page does so only in its mismatch test, to stand for another build).
fn engine_protocol() -> u32 {
    crate::web::query_param("protocol").and_then(|v| v.parse().ok()).unwrap_or(PROTOCOL_VERSION)
}

/// Helpers that train on the machine's other cores, when the run trains on the CPU and gains
/// from them (`training::cpu_workers`); `None` to train alone, also when they cannot start.
async fn start_replicas(shared: &Rc<RefCell<Shared>>, trainer: &Trainer) -> Option<Replicas> {
    let on_cpu = shared.borrow().backend.as_ref().is_some_and(|b| b.kind == BackendKind::Cpu);
    let cores = js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .map_or(1, |scope| scope.navigator().hardware_concurrency() as usize);
    let count = cpu_workers(trainer.config().model.kind(), cores, shared.borrow().cpu_workers);
    if !on_cpu || count < 2 {
        return None;
    }
    shared.borrow().send(FromEngine::Preparing(format!("Starting {count} workers, one per core…")));
    let checkpoint = trainer.checkpoint().read_async().await.ok()?.to_bytes();
    Replicas::start(count, &checkpoint, trainer)
        .inspect_err(|e| web_sys::console::warn_1(&format!("Training in one worker: {e}").into()))
        .ok()
}

/// A new run, or one continuing from a checkpoint the page kept.
enum RunStart {
    Fresh(RunSettings),
    Resume { checkpoint: Vec<u8>, readback_every: usize },
}

/// Starts run `page_run` (the page's id, on all its reports) unless the engine is not ready or
/// already training.
fn begin(shared: Rc<RefCell<Shared>>, page_run: u32, start: RunStart) {
    let mut s = shared.borrow_mut();
    if s.backend.is_none() {
        s.send(FromEngine::Refused("The engine is still starting; try again in a moment.".into()));
        return;
    }
    if let Err(err) = s.state.transition(&RunEvent::Start) {
        s.send(FromEngine::Refused(err.to_string()));
        return;
    }
    s.run_id += 1;
    let run_id = s.run_id;
    drop(s);
    spawn_local(run(shared, start, run_id, page_run));
}

fn fail(shared: &Rc<RefCell<Shared>>, message: String) {
    let mut s = shared.borrow_mut();
    let _ = s.state.transition(&RunEvent::Fail(message));
    s.send_phase();
}

async fn run(shared: Rc<RefCell<Shared>>, start: RunStart, run_id: u64, page_run: u32) {
    shared.borrow().send(FromEngine::Preparing("Loading the training images…".into()));
    let data = match ensure_data(&shared).await {
        Ok(data) => data,
        Err(message) => return fail(&shared, format!("Could not load the data: {message}")),
    };
    // A race in progress decides first (within its budget), then stops measuring.
    shared.borrow().send(FromEngine::Preparing("Choosing the faster backend…".into()));
    chooser::before_run(&shared).await;
    let device: Device = shared.borrow().backend.as_ref().expect("backend chosen before Start").device.clone();
    let (trainer, readback_every) = match start {
        RunStart::Fresh(settings) => (
            Trainer::new(TrainingConfig::from(&settings), data, &device).map_err(|e| e.to_string()),
            settings.readback_every,
        ),
        RunStart::Resume { checkpoint, readback_every } => (resume_trainer(&checkpoint, data, &device), readback_every),
    };
    let mut trainer = match trainer {
        Ok(trainer) => trainer.with_clock(now),
        Err(message) => return fail(&shared, message),
    };
    let mut replicas = start_replicas(&shared, &trainer).await;
    shared.borrow().send(FromEngine::Preparing("Preparing the first step…".into()));

    let outcome = train(&shared, &mut trainer, &mut replicas, &device, (run_id, page_run), readback_every).await;
    drop(replicas);
    let superseded = shared.borrow().run_id != run_id;
    let diverged = matches!(outcome, Err(Halt::Diverged(_)));
    // Stopped or failed mid-way: the state at this step is the one to resume from (a dead GPU
    // cannot be read, and then the last epoch's checkpoint stays) — also when the next run has
    // started meanwhile, since the checkpoint carries this run's id. Diverged weights are not
    // worth keeping: the last finite checkpoint and model stay the run's.
    if !trainer.is_finished() && !diverged {
        send_checkpoint(&shared, &trainer, page_run, None).await;
    }
    if !diverged {
        let mut s = shared.borrow_mut();
        s.last_normalization = Some(trainer.config().normalization);
        s.model = Some(trainer.into_model());
    }
    match outcome {
        _ if superseded => {}
        Ok(()) => shared.borrow().send_phase(),
        Err(Halt::Diverged(message)) => fail(&shared, message),
        Err(Halt::Device(message)) => {
            fail(&shared, message);
            // A failed GPU is not trusted again in this worker: later runs use the CPU.
            if shared.borrow().backend.as_ref().is_some_and(|b| b.kind == BackendKind::WebGpu) {
                chooser::gpu_failed(&shared, "The GPU stopped working");
            }
        }
    }
    chooser::after_run(&shared);
}
