//! One engine worker as the page holds it. A page and an engine of different builds (an update
//! with one of them cached) would misread each other's messages, so nothing but the version
//! handshake goes out until the worker has answered it with the page's own
//! [`PROTOCOL_VERSION`]; commands wait in order until then.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_worker::WorkerBridge;

use crate::engine::EngineWorker;
use crate::protocol::{PROTOCOL_VERSION, ToEngine};

#[derive(Default)]
pub struct EngineSlot {
    bridge: Option<WorkerBridge<EngineWorker>>,
    ready: bool,
    waiting: Vec<ToEngine>,
}

pub type Slot = Rc<RefCell<EngineSlot>>;

impl EngineSlot {
    /// A freshly spawned worker: the handshake goes first, `init` right after it is answered.
    pub fn start(&mut self, bridge: WorkerBridge<EngineWorker>, init: ToEngine) {
        bridge.send(ToEngine::Hello(PROTOCOL_VERSION));
        self.bridge = Some(bridge);
        self.ready = false;
        self.waiting = vec![init];
    }

    pub fn send(&mut self, command: ToEngine) {
        match (&self.bridge, self.ready) {
            (Some(bridge), true) => bridge.send(command),
            (Some(_), false) => self.waiting.push(command),
            (None, _) => {}
        }
    }

    /// The worker's answer to the handshake. The same version: the waiting commands go. Another:
    /// the worker is dropped (terminated) and nothing more is sent; the caller says so.
    pub fn answered(&mut self, version: u32) -> bool {
        if version != PROTOCOL_VERSION {
            self.bridge = None;
            self.waiting.clear();
            return false;
        }
        self.ready = true;
        if let Some(bridge) = &self.bridge {
            self.waiting.drain(..).for_each(|command| bridge.send(command));
        }
        true
    }
}
