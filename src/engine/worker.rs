use gloo_worker::{HandlerId, Worker, WorkerScope};

use crate::protocol::{FromEngine, ToEngine};

pub use crate::protocol::ENGINE_LOADER;

/// The loader's query parameter naming the `BroadcastChannel` the engine's death is told on.
pub const FAULT_PARAM: &str = "fault";

/// A worker whose wasm traps (an abort after a failed allocation, an `unreachable`) dies
/// without a panic, so its panic hook never tells the page. Plain JavaScript listeners,
/// which still run once the wasm instance is dead, post the error on the channel the page
/// named in the loader's address (`?fault=`). Rejections are told only when wasm trapped:
/// other ones do not stop the engine. Then the worker closes itself: a trap ends only the
/// handler it hit, and the instance's other tasks (a training loop) would run on and post to a
/// page that has cut the run back and restarted the engine.
#[cfg(feature = "worker")]
pub fn report_deaths() {
    let Some(name) = crate::web::query_param(FAULT_PARAM) else {
        return;
    };
    let install = js_sys::Function::new_with_args(
        "name",
        "const channel = new BroadcastChannel(name);
         const tell = (what) => {
           channel.postMessage(String(what && what.message ? `${what.name}: ${what.message}` : what));
           self.close();
         };
         self.addEventListener('error', (e) => tell(e.error || e.message));
         self.addEventListener('unhandledrejection', (e) => {
           if (e.reason instanceof WebAssembly.RuntimeError) tell(e.reason);
         });",
    );
    let _ = install.call1(&wasm_bindgen::JsValue::NULL, &name.into());
}

/// Training and inference off the main thread. On the page this type only names the protocol;
/// its state exists in the worker bundle alone.
pub struct EngineWorker {
    #[cfg(feature = "worker")]
    engine: super::runner::Engine,
}

impl Worker for EngineWorker {
    type Message = ();
    type Input = ToEngine;
    type Output = FromEngine;

    #[cfg(feature = "worker")]
    fn create(scope: &WorkerScope<Self>) -> Self {
        Self { engine: super::runner::Engine::new(scope.clone()) }
    }

    #[cfg(not(feature = "worker"))]
    fn create(_scope: &WorkerScope<Self>) -> Self {
        unreachable!("the engine runs only in its worker bundle")
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    #[cfg(feature = "worker")]
    fn received(&mut self, _scope: &WorkerScope<Self>, msg: ToEngine, id: HandlerId) {
        self.engine.command(msg, id);
    }

    #[cfg(not(feature = "worker"))]
    fn received(&mut self, _scope: &WorkerScope<Self>, _msg: ToEngine, _id: HandlerId) {}
}
