//! The page's end of the engine: two workers of the same bundle, one that trains and one that
//! classifies, so a drawing is answered while a run trains. Their reports are dispatched as
//! actions. The trainer's weights (every epoch, at Pause, at the end) go to the classifier over
//! a `BroadcastChannel` this page names, not through the main thread.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_worker::Spawnable;
use yew::prelude::*;

use crate::engine::{ENGINE_LOADER, EngineWorker};
use crate::protocol::{BackendKind, Choice, EngineRole, FromEngine, RunSettings, RunState, TestHook, ToEngine};
use crate::race::ClassifierRaceGate;
use crate::state::{Action, AppState};
use crate::ui::services::debug_hooks::{install_debug_hooks, publish_inference_figures};
use crate::ui::services::engine_options::{checkpoint_seconds, cpu_workers, forced, min_step_seconds, readback_every};
use crate::ui::services::engine_slot::{FaultChannel, Heard, Slot};
use crate::ui::services::input_image::now_ms;
use crate::ui::services::persistence;

/// `base` resolved against the page, so the worker (whose own URL differs) finds the same files.
fn absolute(base: &str) -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    web_sys::Url::new_with_base(base, &href).map(|u| u.href()).unwrap_or_else(|_| base.to_string())
}

/// At most one classification in flight: while the worker is busy, only the newest request
/// waits (older ones are dropped), so a fast-moving pen never builds a queue of stale images.
#[derive(Default)]
struct ClassifyGate {
    in_flight: bool,
    waiting: Option<ToEngine>,
}

/// Both workers and what the page must remember to restart one.
#[derive(Clone)]
struct Link {
    trainer: Slot,
    classifier: Slot,
    gate: Rc<RefCell<ClassifyGate>>,
    dispatcher: UseReducerDispatcher<AppState>,
    data_base: String,
    /// `?backend=` and `?classify=`: the user's choice for training and for classifying;
    /// without one the faster backend is measured for each.
    force: Option<BackendKind>,
    force_classifier: Option<BackendKind>,
    /// The `BroadcastChannel` of this page's weights, trainer to classifier (unique per page,
    /// so two tabs never classify with each other's runs).
    weights_channel: String,
    /// When the classifier races: after the trainer's race, and not while a run trains.
    classifier_race: Rc<Cell<ClassifierRaceGate>>,
    settings: Rc<RefCell<RunSettings>>,
    /// Trainer reports waiting behind a checkpoint (see `dispatch_in_order`).
    deferred: Rc<RefCell<Vec<(FromEngine, f64)>>>,
    /// When the trainer was last told that the user draws (page clock, ms).
    drawing_told: Rc<Cell<f64>>,
}

/// The trainer hears that the user draws at most this often (ms): it holds its steps for
/// longer than this after each word (`engine::shared::DRAWING_SECONDS`).
const DRAWING_EVERY_MS: f64 = 250.0;

impl Link {
    fn send_to(slot: &Slot, command: ToEngine) {
        slot.borrow_mut().send(command);
    }

    /// A worker answered the handshake: with another version (a cached engine of another
    /// build) the page says so and sends it nothing more.
    fn answered(&self, slot: &Slot, version: u32) {
        if !slot.borrow_mut().answered(version) {
            self.dispatcher.dispatch(Action::EngineMismatch(format!(
                "This page and its engine come from different versions of Atelier (protocol {} and {version}). \
                 Reload the page to update; your saved runs are kept.",
                crate::protocol::PROTOCOL_VERSION
            )));
        }
    }

    /// Classifications to the classifier (one in flight), model files to both, the rest to
    /// the trainer.
    fn send(&self, command: ToEngine) {
        match command {
            ToEngine::Classify(_) => {
                let mut gate = self.gate.borrow_mut();
                if gate.in_flight {
                    gate.waiting = Some(command);
                    return;
                }
                gate.in_flight = true;
                drop(gate);
                Self::send_to(&self.classifier, command);
            }
            ToEngine::Drawing => {
                if now_ms() - self.drawing_told.get() >= DRAWING_EVERY_MS {
                    self.drawing_told.set(now_ms());
                    Self::send_to(&self.trainer, command);
                }
            }
            ToEngine::Test(TestHook::MeasureInference) | ToEngine::Inspect(_) => {
                Self::send_to(&self.classifier, command)
            }
            ToEngine::ImportModel { bytes, quiet } => {
                Self::send_to(&self.classifier, ToEngine::ImportModel { bytes: bytes.clone(), quiet: true });
                Self::send_to(&self.trainer, ToEngine::ImportModel { bytes, quiet });
            }
            ToEngine::Workload(settings) => {
                *self.settings.borrow_mut() = settings.clone();
                Self::send_to(&self.trainer, ToEngine::Workload(settings));
            }
            // The engine says "running" only at the run's first step, after its own race.
            command @ (ToEngine::Start { .. } | ToEngine::ResumeRun { .. }) => {
                self.let_classifier_race(|gate| gate.training(true));
                Self::send_to(&self.trainer, command)
            }
            command => Self::send_to(&self.trainer, command),
        }
    }

    /// Hands a trainer report to the reducer. An epoch's predictions (100,000 numbers; the
    /// evaluation views re-render) cost their message's task the decoding already; the re-render
    /// goes to a task of its own, and the reports after them wait in line behind so the reducer
    /// sees them in the engine's order.
    fn dispatch_in_order(&self, event: FromEngine) {
        let heavy = matches!(event, FromEngine::TestPredictions(_));
        let mut queue = self.deferred.borrow_mut();
        if queue.is_empty() && !heavy {
            drop(queue);
            return self.dispatcher.dispatch(Action::Engine { event, at: now_ms() });
        }
        queue.push((event, now_ms()));
        if queue.len() == 1 {
            self.flush_later();
        }
    }

    /// In a later task: the queued reports up to and including the next heavy one (one heavy
    /// re-render per task), then again while any wait.
    fn flush_later(&self) {
        let link = self.clone();
        yew::platform::spawn_local(async move {
            gloo::timers::future::TimeoutFuture::new(0).await;
            loop {
                let next = {
                    let mut queue = link.deferred.borrow_mut();
                    (!queue.is_empty()).then(|| queue.remove(0))
                };
                let Some((event, at)) = next else { return };
                let heavy = matches!(event, FromEngine::TestPredictions(_));
                link.dispatcher.dispatch(Action::Engine { event, at });
                if heavy && !link.deferred.borrow().is_empty() {
                    return link.flush_later();
                }
            }
        });
    }

    /// An answer arrived: let the waiting request (if any) go.
    fn release(&self) {
        let waiting = {
            let mut g = self.gate.borrow_mut();
            g.in_flight = false;
            g.waiting.take()
        };
        if let Some(command) = waiting {
            self.send(command);
        }
    }

    fn init(&self, role: EngineRole, force: Option<BackendKind>) -> ToEngine {
        ToEngine::Init {
            role,
            force,
            settings: self.settings.borrow().clone(),
            known: persistence::load_races(),
            data_base: self.data_base.clone(),
            pretrained_url: absolute(PRETRAINED_MODEL),
            dense_url: absolute(SHIPPED_DENSE),
            weights_channel: self.weights_channel.clone(),
            checkpoint_seconds: checkpoint_seconds(),
            min_step_seconds: min_step_seconds(),
            cpu_workers: cpu_workers(),
        }
    }

    /// A worker in `slot`: its messages go to `on_event` while it is heard, its death (told on
    /// its own fault channel) to `on_death`.
    fn spawn(&self, slot: &Slot, init: ToEngine, on_event: fn(&Self, FromEngine), on_death: fn(&Self, String)) {
        let link = self.clone();
        let (faults, loader) = open_fault_channel(move |reason| on_death(&link, reason));
        let (link, heard) = (self.clone(), Heard::new(Cell::new(true)));
        let listening = heard.clone();
        let worker = EngineWorker::spawner()
            .callback(move |event| {
                if listening.get() {
                    on_event(&link, event)
                }
            })
            .spawn_with_loader(&loader);
        slot.borrow_mut().start(worker, faults, init, heard);
    }

    /// Starts the trainer. A dead one (a panic, a trap, a failed allocation) is replaced by one
    /// on the CPU, so the page never waits on an engine that cannot answer.
    fn spawn_trainer(&self, force: Option<BackendKind>) {
        let init = self.init(EngineRole::Trainer, force);
        self.spawn(&self.trainer, init, Self::on_trainer_event, Self::trainer_died);
    }

    fn spawn_classifier(&self) {
        let init = self.init(EngineRole::Classifier, self.force_classifier);
        self.spawn(&self.classifier, init, Self::on_classifier_event, Self::classifier_died);
        // A restarted classifier has no weights: the trainer posts its newest again.
        Self::send_to(&self.trainer, ToEngine::Snapshot);
        self.let_classifier_race(ClassifierRaceGate::classifier_restarted);
    }

    /// Tells the gate what happened and sends the classifier its workload if that opens it.
    fn let_classifier_race(&self, event: impl FnOnce(&mut ClassifierRaceGate) -> bool) {
        let mut gate = self.classifier_race.get();
        let open = event(&mut gate);
        self.classifier_race.set(gate);
        if open {
            Self::send_to(&self.classifier, ToEngine::Workload(self.settings.borrow().clone()));
        }
    }

    /// The trainer died (its panic report or its last words on the fault channel, whichever
    /// comes first): the run is told, and a new trainer starts on the CPU in a later task (not
    /// from inside the dying bridge's own callback).
    fn trainer_died(&self, reason: String) {
        if !self.trainer.borrow_mut().died() {
            return;
        }
        self.dispatch_in_order(FromEngine::Crashed(reason));
        self.let_classifier_race(|gate| gate.training(false));
        let link = self.clone();
        yew::platform::spawn_local(async move { link.spawn_trainer(Some(BackendKind::Cpu)) });
    }

    fn classifier_died(&self, reason: String) {
        if !self.classifier.borrow_mut().died() {
            return;
        }
        *self.gate.borrow_mut() = ClassifyGate::default();
        self.dispatcher
            .dispatch(Action::InputFailed(format!("The classifier crashed ({reason}) and was restarted; draw again.")));
        let link = self.clone();
        yew::platform::spawn_local(async move { link.spawn_classifier() });
    }

    fn on_trainer_event(&self, event: FromEngine) {
        match &event {
            FromEngine::Hello(version) => return self.answered(&self.trainer, *version),
            // The classifier's business.
            FromEngine::Classifier(_)
            | FromEngine::Classified(_)
            | FromEngine::ClassifyFailed { .. }
            | FromEngine::Inspected(_)
            | FromEngine::InferenceMeasured(_) => {
                return;
            }
            FromEngine::Raced(record) => return persistence::save_race(record.clone()),
            FromEngine::Crashed(reason) => return self.trainer_died(reason.clone()),
            FromEngine::ModelFile { model, bytes } => {
                crate::ui::services::save_file::save_file(
                    bytes,
                    &crate::ui::services::save_file::model_file_name(*model),
                );
            }
            FromEngine::Backend(report) if report.choice != Choice::Measuring => {
                self.let_classifier_race(ClassifierRaceGate::trainer_decided)
            }
            FromEngine::Phase(state) => {
                let training = *state == RunState::Running;
                self.let_classifier_race(|gate| gate.training(training))
            }
            _ => {}
        }
        self.dispatch_in_order(event);
    }

    fn on_classifier_event(&self, event: FromEngine) {
        match event {
            FromEngine::Hello(version) => self.answered(&self.classifier, version),
            FromEngine::Backend(report) => self.dispatcher.dispatch(Action::ClassifierBackend(report)),
            FromEngine::Raced(record) => persistence::save_race(record),
            FromEngine::InferenceMeasured(figures) => publish_inference_figures(&figures),
            FromEngine::Classified(_) | FromEngine::ClassifyFailed { .. } => {
                self.dispatcher.dispatch(Action::Engine { event, at: now_ms() });
                self.release();
            }
            FromEngine::Classifier(_) | FromEngine::Inspected(_) => {
                self.dispatcher.dispatch(Action::Engine { event, at: now_ms() })
            }
            FromEngine::Crashed(reason) => self.classifier_died(reason),
            // Training reports come from the trainer; the classifier's import answers are quiet.
            _ => {}
        }
    }
}

/// A fault channel for a worker about to start, and its loader's address (without one, as in
/// a browser without `BroadcastChannel`, only panics are noticed).
fn open_fault_channel(on_death: impl Fn(String) + 'static) -> (Option<FaultChannel>, String) {
    match FaultChannel::open(on_death) {
        Some((channel, loader)) => (Some(channel), loader),
        None => (None, ENGINE_LOADER.to_string()),
    }
}

/// The shipped weights, beside the page (Trunk copies `static/models`): the CNN that classifies
/// before any training, and the dense network the lesson sets beside it.
const PRETRAINED_MODEL: &str = "models/atelier-cnn.safetensors";
const SHIPPED_DENSE: &str = "models/atelier-dense.safetensors";

/// Spawns both workers and returns the way to talk to them.
#[hook]
pub fn use_engine(dispatcher: UseReducerDispatcher<AppState>, data_base: String) -> Callback<ToEngine> {
    let link = use_memo((), move |_| Link {
        trainer: Rc::default(),
        classifier: Rc::default(),
        gate: Rc::default(),
        dispatcher,
        data_base: absolute(&data_base),
        force: forced("backend"),
        force_classifier: forced("classify"),
        weights_channel: format!("atelier-weights-{}", js_sys::Math::random()),
        classifier_race: Rc::default(),
        settings: Rc::default(),
        deferred: Rc::default(),
        drawing_told: Rc::new(Cell::new(f64::NEG_INFINITY)),
    });
    {
        let link = link.clone();
        use_effect_with((), move |_| {
            link.spawn_trainer(link.force);
            link.spawn_classifier();
        });
    }
    // One callback for the page's lifetime, so the panels that take it are not re-rendered for it.
    let send = use_memo((), move |_| {
        let readback = readback_every();
        Callback::from(move |mut command| {
            if let ToEngine::Start { settings, .. } = &mut command {
                settings.readback_every = readback;
            }
            link.send(command)
        })
    });
    let send = (*send).clone();
    {
        let send = send.clone();
        use_effect_with((), move |_| install_debug_hooks(send));
    }
    send
}
