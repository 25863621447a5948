use gloo_worker::{HandlerId, Worker, WorkerScope};

use crate::protocol::{FromEngine, ToEngine};

/// The worker script Trunk emits for the `atelier-engine` binary (workers are not hashed).
pub const ENGINE_LOADER: &str = "./atelier-engine_loader.js";

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
