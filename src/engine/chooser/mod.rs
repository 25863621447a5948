//! Which backend the worker uses, decided by racing them (rules and wording: `crate::race`).
//!
//! The engine is usable at once on the CPU. Meanwhile it asks for the WebGPU adapter (cheap),
//! reuses a race stored by the page for this adapter and workload, or times the workload on the
//! CPU and then on WebGPU. The decision is taken when both figures are in, or after
//! [`crate::race::RACE_BUDGET_SECONDS`] with what is known (a GPU still compiling its kernels loses for
//! now); the GPU's figure is then completed in the background while the engine is idle, and
//! the choice revisited. A user's choice (`?backend=`, the select) overrides all of it.

mod timing;

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use wasm_bindgen_futures::spawn_local;

use super::backend::{WebGpu, cpu, ensure_webgpu, probe_gpu};
use super::shared::{Shared, now, yield_to_events};
use crate::protocol::{BackendKind, BackendReport, CrossCheck, EngineRole, FromEngine, RunSettings};
use crate::race::{Choice, GpuStatus, RaceRecord, Workload, evaluation_backend, explain, known};

pub(super) struct Chooser {
    pub(super) role: EngineRole,
    forced: Option<BackendKind>,
    pub(super) gpu: GpuStatus,
    pub(super) webgpu: WebGpu,
    pub(super) check: Option<CrossCheck>,
    /// Races of earlier visits (from the page) and of this one.
    known: Vec<RaceRecord>,
    pub(super) settings: RunSettings,
    /// The current workload's race, finished or not.
    race: Option<RaceRecord>,
    choice: Choice,
    /// Bumped by a new workload, a run's start and a user's choice: an older race stops.
    generation: u64,
    /// When a race in progress decides with what it has.
    deadline: f64,
    /// The classifier may start WebGPU or race (the page said so once the trainer decided).
    page_ready: bool,
}

impl Chooser {
    pub(super) fn new(role: EngineRole) -> Self {
        Self {
            role,
            forced: None,
            gpu: GpuStatus::Unknown,
            webgpu: WebGpu::NotStarted,
            check: None,
            known: Vec::new(),
            settings: RunSettings::default(),
            race: None,
            choice: Choice::Measuring,
            generation: 0,
            deadline: 0.0,
            page_ready: false,
        }
    }

    fn workload(&self) -> Workload {
        match self.role {
            EngineRole::Trainer => Workload::training(&self.settings),
            EngineRole::Classifier => Workload::classify(),
        }
    }

    fn activity(&self) -> &'static str {
        match self.role {
            EngineRole::Trainer => "training",
            EngineRole::Classifier => "classifying",
        }
    }
}

type SharedRef = Rc<RefCell<Shared>>;

/// A backend's (training or classification, evaluation) rates; `None` where not measured.
type Rates = (Option<f64>, Option<f64>);

/// Starts on the CPU at once, then looks at the GPU and decides (see the module docs).
pub(super) fn init(
    shared: &SharedRef,
    role: EngineRole,
    force: Option<BackendKind>,
    settings: RunSettings,
    known: Vec<RaceRecord>,
) {
    // The trainer forced onto WebGPU waits for it (nothing trains on the CPU by mistake); the
    // classifier answers on the CPU at once and moves when the page lets it (`proceed`).
    let wait_for_gpu = force == Some(BackendKind::WebGpu) && role == EngineRole::Trainer;
    {
        let mut s = shared.borrow_mut();
        s.chooser = Chooser::new(role);
        s.chooser.forced = force;
        s.chooser.choice = if force.is_some() { Choice::Forced } else { Choice::Measuring };
        s.chooser.settings = settings;
        s.chooser.known = known;
        if !wait_for_gpu {
            s.backend = Some(cpu());
        }
    }
    if !wait_for_gpu {
        report(shared);
    }
    let shared = shared.clone();
    spawn_local(async move {
        let gpu = probe_gpu().await;
        let mut s = shared.borrow_mut();
        s.chooser.gpu = gpu.clone();
        if !gpu.is_available() {
            s.chooser.choice = Choice::Unavailable;
            s.backend.get_or_insert_with(cpu);
        } else if force == Some(BackendKind::Cpu) {
            s.chooser.choice = Choice::Forced;
        }
        drop(s);
        report(&shared);
        // WebGPU's start (device, check against the CPU, kernel code generation on this thread)
        // overlaps the dataset download instead of eating the race's budget — when a race or
        // the GPU will need it. Where this adapter already lost the stored race for this
        // workload, starting it would only take the cores from the page's own loading (on
        // SwiftShader, a returning visit: the shipped model ready after 1.83 s instead of 2.18 s,
        // the first gallery image after 0.51 s instead of 0.62 s); a new workload's race or the
        // user's choice still starts it.
        if role == EngineRole::Trainer
            && gpu.is_available()
            && (force == Some(BackendKind::WebGpu) || (force.is_none() && !lost_before(&shared, &gpu)))
        {
            let shared = shared.clone();
            spawn_local(async move {
                // Its check against the CPU then shows on the badge.
                if ensure_webgpu(&shared).await.is_ok() {
                    report(&shared);
                }
            });
        }
        proceed(&shared);
    });
}

/// Whether a stored race (from an earlier visit) of this adapter and the current workload chose
/// the CPU, for training and for evaluation (a GPU that evaluates faster is still wanted) —
/// also one decided before the GPU's figure came, whose GPU is then timed once the page is ready.
fn lost_before(shared: &SharedRef, gpu: &GpuStatus) -> bool {
    let c = &shared.borrow().chooser;
    known(&c.known, gpu.adapter().unwrap_or_default(), &c.workload())
        .is_some_and(|r| r.winner() == BackendKind::Cpu && r.eval_winner() != Some(BackendKind::WebGpu))
}

/// Starts what the choice needs once the GPU is known: WebGPU when forced, else the race.
/// A race waits for the page's word ([`set_workload`]): the trainer's until the page has
/// loaded the dataset (on two cores, timing while the page decodes 70,000 images took longer
/// than the budget and halved the CPU's figure), the classifier's until the trainer has decided,
/// so that two workers never start WebGPU or race on the same cores at once. A trainer forced
/// onto WebGPU starts it at once: nothing can train before it is up.
fn proceed(shared: &SharedRef) {
    let (forced, available, page_ready, role) = {
        let c = &shared.borrow().chooser;
        (c.forced, c.gpu.is_available(), c.page_ready, c.role)
    };
    let start_now = role == EngineRole::Trainer && forced == Some(BackendKind::WebGpu);
    if !available || !(page_ready || start_now) {
        return;
    }
    if forced == Some(BackendKind::WebGpu) && matches!(shared.borrow().chooser.webgpu, WebGpu::NotStarted) {
        let shared = shared.clone();
        spawn_local(async move {
            use_webgpu(&shared, Choice::Forced).await;
            if shared.borrow().chooser.page_ready {
                consider(&shared);
            }
        });
    } else if page_ready {
        consider(shared);
    }
}

/// The user picked a backend: use it from now on (WebGPU only where it works).
pub(super) fn choose(shared: &SharedRef, kind: BackendKind) {
    {
        let mut s = shared.borrow_mut();
        s.chooser.forced = Some(kind);
        s.chooser.generation += 1;
    }
    match kind {
        BackendKind::Cpu => {
            let mut s = shared.borrow_mut();
            s.backend = Some(cpu());
            s.chooser.choice = if s.chooser.gpu.is_available() { Choice::Forced } else { Choice::Unavailable };
            drop(s);
            report(shared);
        }
        BackendKind::WebGpu => {
            let shared = shared.clone();
            spawn_local(async move {
                use_webgpu(&shared, Choice::Forced).await;
                consider(&shared);
            });
        }
    }
}

/// New settings: race again if they make a new workload (the trainer's model or batch size).
pub(super) fn set_workload(shared: &SharedRef, settings: RunSettings) {
    let changed = {
        let mut s = shared.borrow_mut();
        let before = s.chooser.workload();
        s.chooser.settings = settings;
        // The first word from the page lets a waiting race start, whatever the workload.
        let changed =
            s.chooser.workload() != before || s.chooser.role == EngineRole::Classifier || !s.chooser.page_ready;
        if changed {
            s.chooser.generation += 1;
            s.chooser.race = None;
        }
        changed
    };
    shared.borrow_mut().chooser.page_ready = true;
    if changed && shared.borrow().chooser.gpu != GpuStatus::Unknown {
        proceed(shared);
    }
}

/// The GPU stopped working (lost device, failed step): the CPU from now on, saying why.
pub(super) fn gpu_failed(shared: &SharedRef, reason: &str) {
    {
        let mut s = shared.borrow_mut();
        s.chooser.webgpu = WebGpu::Failed(reason.into());
        s.chooser.gpu = GpuStatus::Unavailable(reason.into());
        s.chooser.choice = Choice::Unavailable;
        s.chooser.generation += 1;
        s.backend = Some(cpu());
    }
    report(shared);
}

/// Before a run's first step: a race in progress decides (by its deadline at the latest), and
/// stops measuring so that it does not compete with the run for the cores.
pub(super) async fn before_run(shared: &SharedRef) {
    // A little past the deadline: the race's own check runs every 25 ms.
    while shared.borrow().chooser.choice == Choice::Measuring && now() < shared.borrow().chooser.deadline + 0.2 {
        yield_to_events(25).await;
    }
    shared.borrow_mut().chooser.generation += 1;
}

/// After a run: a race that could not finish (the run started first) is finished now.
pub(super) fn after_run(shared: &SharedRef) {
    let unfinished = shared.borrow().chooser.race.as_ref().is_none_or(|r| !r.complete);
    if unfinished {
        shared.borrow_mut().chooser.race = None;
        consider(shared);
    }
}

/// Reuses a stored race or starts one, unless the user chose or there is nothing to race.
fn consider(shared: &SharedRef) {
    let (generation, stored) = {
        let s = shared.borrow();
        let c = &s.chooser;
        // A trainer forced onto the GPU still races: its evaluation goes where it is faster.
        let nothing_to_choose =
            c.forced == Some(BackendKind::Cpu) || (c.forced.is_some() && c.role == EngineRole::Classifier);
        if nothing_to_choose || !c.gpu.is_available() || s.state.is_active() {
            return;
        }
        if c.race.as_ref().is_some_and(|r| r.complete) {
            return;
        }
        (c.generation, known(&c.known, c.gpu.adapter().unwrap_or_default(), &c.workload()).cloned())
    };
    let shared = shared.clone();
    spawn_local(async move {
        match stored {
            Some(record) if record.complete => decide(&shared, record, Choice::Cached, generation).await,
            Some(record) => timing::resume(&shared, record, generation).await,
            None => timing::race(&shared, generation).await,
        }
    });
}

/// Where an epoch's evaluation runs when that is not where the model trains: the backend the
/// race measured faster for large inference batches.
pub(super) fn eval_device(shared: &SharedRef) -> Option<Device> {
    let s = shared.borrow();
    let training = s.backend.as_ref()?.kind;
    let race = s.chooser.race.as_ref().filter(|r| r.workload == s.chooser.workload());
    match evaluation_backend(race, training, &s.chooser.gpu) {
        winner if winner == training => None,
        BackendKind::Cpu => Some(Device::flex()),
        BackendKind::WebGpu => match &s.chooser.webgpu {
            WebGpu::Started(backend) => Some(backend.device.clone()),
            _ => None,
        },
    }
}

/// Uses the race's winner (when nothing trains and no newer race or choice came since).
async fn decide(shared: &SharedRef, record: RaceRecord, choice: Choice, generation: u64) {
    let winner = record.winner();
    let forced = shared.borrow().chooser.forced.is_some();
    let backend = match winner {
        _ if forced => None,
        BackendKind::WebGpu => ensure_webgpu(shared).await.ok(),
        BackendKind::Cpu => Some(cpu()),
    };
    {
        let mut s = shared.borrow_mut();
        if s.chooser.generation != generation {
            return;
        }
        // Also a race decided without the GPU's figure: a reload before it comes reuses the
        // decision instead of racing again (`race::known`).
        if choice == Choice::Measured {
            crate::race::remember(&mut s.chooser.known, record.clone(), 64);
            s.send(FromEngine::Raced(record.clone()));
        }
        s.chooser.race = Some(record);
        if s.chooser.forced.is_none() {
            s.chooser.choice = choice;
            if let Some(backend) = backend.filter(|_| !s.state.is_active()) {
                s.backend = Some(backend);
            }
        }
    }
    report(shared);
}

/// Starts WebGPU (once) and makes it the backend, or says why it cannot be.
async fn use_webgpu(shared: &SharedRef, choice: Choice) {
    let started = ensure_webgpu(shared).await;
    let mut s = shared.borrow_mut();
    match started {
        Ok(backend) if !s.state.is_active() => {
            s.backend = Some(backend);
            s.chooser.choice = choice;
        }
        Ok(_) => {}
        Err(_) => {
            s.chooser.choice = Choice::Unavailable;
            if !s.state.is_active() {
                s.backend = Some(cpu());
            }
        }
    }
    drop(s);
    report(shared);
}

/// Tells the page the backend in use and why.
pub(super) fn report(shared: &SharedRef) {
    let s = shared.borrow();
    let c = &s.chooser;
    // Nothing to say before there is a backend (a forced WebGPU still starting).
    let Some(kind) = s.backend.as_ref().map(|b| b.kind) else {
        return;
    };
    let race = c.race.clone();
    let detail = explain(kind, c.choice, race.as_ref(), &c.gpu, c.activity());
    s.send(FromEngine::Backend(BackendReport {
        kind,
        choice: c.choice,
        detail,
        gpu: c.gpu.clone(),
        race,
        check: c.check,
    }));
}
