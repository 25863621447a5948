//! The page's end of the engine worker: spawned once, its reports dispatched as actions.

use gloo_worker::{Spawnable, WorkerBridge};
use yew::prelude::*;

use super::state::{Action, AppState};
use crate::engine::{ENGINE_LOADER, EngineWorker};
use crate::protocol::ToEngine;
use crate::web::query_param;

/// `base` resolved against the page, so the worker (whose own URL differs) finds the same files.
fn absolute(base: &str) -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    web_sys::Url::new_with_base(base, &href).map(|u| u.href()).unwrap_or_else(|_| base.to_string())
}

/// Spawns the engine and returns the way to talk to it.
#[hook]
pub fn use_engine(dispatcher: UseReducerDispatcher<AppState>, data_base: String) -> Callback<ToEngine> {
    let bridge = use_mut_ref(|| None::<WorkerBridge<EngineWorker>>);
    {
        let bridge = bridge.clone();
        use_effect_with((), move |_| {
            let worker = EngineWorker::spawner()
                .callback(move |event| dispatcher.dispatch(Action::Engine(event)))
                .spawn_with_loader(ENGINE_LOADER);
            let force_cpu = query_param("backend").as_deref() == Some("cpu");
            worker.send(ToEngine::Init { force_cpu, data_base: absolute(&data_base) });
            *bridge.borrow_mut() = Some(worker);
        });
    }
    Callback::from(move |command| {
        if let Some(worker) = bridge.borrow().as_ref() {
            worker.send(command);
        }
    })
}
