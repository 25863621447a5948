//! The page's end of the engine worker: spawned once, its reports dispatched as actions.

use gloo_worker::{Spawnable, WorkerBridge};
use yew::prelude::*;

use super::state::{Action, AppState};
use crate::engine::{ENGINE_LOADER, EngineWorker};
use crate::protocol::{FromEngine, ToEngine};
use std::cell::RefCell;
use std::rc::Rc;
use crate::web::query_param;

/// `base` resolved against the page, so the worker (whose own URL differs) finds the same files.
fn absolute(base: &str) -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    web_sys::Url::new_with_base(base, &href).map(|u| u.href()).unwrap_or_else(|_| base.to_string())
}

type Slot = Rc<RefCell<Option<WorkerBridge<EngineWorker>>>>;

/// At most one classification in flight: while the worker is busy, only the newest request
/// waits (older ones are dropped), so a fast-moving pen never builds a queue of stale images.
#[derive(Default)]
struct ClassifyGate {
    in_flight: bool,
    waiting: Option<ToEngine>,
}

type Gate = Rc<RefCell<ClassifyGate>>;

/// Sends `command` unless it is a classification that must wait for the one in flight.
fn send_through(slot: &Slot, gate: &Gate, command: ToEngine) {
    if matches!(command, ToEngine::Classify(_)) {
        let mut gate = gate.borrow_mut();
        if gate.in_flight {
            gate.waiting = Some(command);
            return;
        }
        gate.in_flight = true;
    }
    if let Some(worker) = slot.borrow().as_ref() {
        worker.send(command);
    }
}

/// An answer arrived: let the waiting request (if any) go.
fn release(slot: &Slot, gate: &Gate) {
    let waiting = {
        let mut g = gate.borrow_mut();
        g.in_flight = false;
        g.waiting.take()
    };
    if let Some(command) = waiting {
        send_through(slot, gate, command);
    }
}

/// Starts a worker in `slot`. A crashed worker (its wasm instance is dead after a panic) is
/// replaced by a CPU-only one, so the page never waits on an engine that cannot answer.
fn spawn(slot: Slot, gate: Gate, dispatcher: UseReducerDispatcher<AppState>, data_base: String, force_cpu: bool) {
    let (respawn_slot, respawn_gate, respawn_dispatcher, respawn_base) =
        (slot.clone(), gate.clone(), dispatcher.clone(), data_base.clone());
    let worker = EngineWorker::spawner()
        .callback(move |event| {
            let crashed = matches!(event, FromEngine::Crashed(_));
            let answered = matches!(event, FromEngine::Classified(_) | FromEngine::ClassifyFailed { .. });
            if let FromEngine::InferenceMeasured(figures) = &event {
                publish_inference_figures(figures);
            }
            if let FromEngine::ModelFile { model, bytes } = &event {
                super::storage_panel::download(bytes, &super::storage_panel::model_file_name(*model));
            }
            dispatcher.dispatch(Action::Engine(event));
            if answered {
                release(&respawn_slot, &respawn_gate);
            }
            if crashed {
                *respawn_gate.borrow_mut() = ClassifyGate::default();
                let (slot, gate, dispatcher, base) =
                    (respawn_slot.clone(), respawn_gate.clone(), respawn_dispatcher.clone(), respawn_base.clone());
                // Not from inside the dying bridge's own callback.
                yew::platform::spawn_local(async move { spawn(slot, gate, dispatcher, base, true) });
            }
        })
        .spawn_with_loader(ENGINE_LOADER);
    let pretrained_url = absolute(PRETRAINED_MODEL);
    worker.send(ToEngine::Init { force_cpu, data_base, pretrained_url });
    *slot.borrow_mut() = Some(worker);
}

/// `?readback=N`: the worker reads the loss back only every N steps (benchmarks; 1 by default).
pub fn readback_every() -> usize {
    query_param("readback").and_then(|v| v.parse().ok()).filter(|&n| n >= 1).unwrap_or(1)
}

/// The shipped weights, beside the page (Trunk copies `static/models`).
const PRETRAINED_MODEL: &str = "models/atelier-cnn.bpk";

/// Spawns the engine and returns the way to talk to it.
#[hook]
pub fn use_engine(dispatcher: UseReducerDispatcher<AppState>, data_base: String) -> Callback<ToEngine> {
    let bridge: Slot = use_mut_ref(|| None::<WorkerBridge<EngineWorker>>);
    let gate: Gate = use_mut_ref(ClassifyGate::default);
    {
        let (bridge, gate) = (bridge.clone(), gate.clone());
        use_effect_with((), move |_| {
            let force_cpu = query_param("backend").as_deref() == Some("cpu");
            spawn(bridge, gate, dispatcher, absolute(&data_base), force_cpu);
        });
    }
    let readback = readback_every();
    let send = Callback::from(move |mut command| {
        if let ToEngine::Start(settings) = &mut command {
            settings.readback_every = readback;
        }
        send_through(&bridge, &gate, command)
    });
    {
        let send = send.clone();
        use_effect_with((), move |_| install_debug_hooks(send));
    }
    send
}

/// `window.atelierDebug.inference`: the figures of `measureInference()` (debug mode only), as
/// `{images, seconds, accuracy, backend}` or `{error}`.
fn publish_inference_figures(figures: &Result<crate::protocol::InferenceFigures, String>) {
    let Some(hooks) = web_sys::window().and_then(|w| js_sys::Reflect::get(&w, &"atelierDebug".into()).ok()).filter(|h| h.is_object())
    else {
        return;
    };
    let result = js_sys::Object::new();
    let set = |key: &str, value: wasm_bindgen::JsValue| {
        let _ = js_sys::Reflect::set(&result, &key.into(), &value);
    };
    match figures {
        Ok(f) => {
            set("images", (f.images as f64).into());
            set("seconds", f.seconds.into());
            set("accuracy", (f.accuracy as f64).into());
            set("backend", f.backend.name().into());
        }
        Err(message) => set("error", message.as_str().into()),
    }
    let _ = js_sys::Reflect::set(&hooks, &"inference".into(), &result);
}

/// With `?debug=1`, `window.atelierDebug.loseGpu()` destroys the engine's WebGPU device, so
/// tests can check that a lost GPU ends the run cleanly.
fn install_debug_hooks(send: Callback<ToEngine>) {
    use wasm_bindgen::closure::Closure;
    if query_param("debug").as_deref() != Some("1") {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let hooks = js_sys::Object::new();
    let lose = {
        let send = send.clone();
        Closure::<dyn Fn()>::new(move || send.emit(ToEngine::LoseGpuForTest))
    };
    let _ = js_sys::Reflect::set(&hooks, &"loseGpu".into(), lose.as_ref());
    lose.forget();
    let measure = Closure::<dyn Fn()>::new(move || send.emit(ToEngine::MeasureInference));
    let _ = js_sys::Reflect::set(&hooks, &"measureInference".into(), measure.as_ref());
    measure.forget();
    let _ = js_sys::Reflect::set(&window, &"atelierDebug".into(), &hooks);
}
