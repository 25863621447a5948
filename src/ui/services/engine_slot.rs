//! One engine worker as the page holds it. A page and an engine of different builds (an update
//! with one of them cached) would misread each other's messages, so nothing but the version
//! handshake goes out until the worker has answered it with the page's own
//! [`PROTOCOL_VERSION`]; commands wait in order until then. A worker can also die without a
//! word (a trap, an allocation that fails): its last words come over a [`FaultChannel`] instead.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_worker::WorkerBridge;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::engine::{ENGINE_LOADER, EngineWorker, FAULT_PARAM};
use crate::protocol::{PROTOCOL_VERSION, ToEngine};
use crate::web::query_param;

#[derive(Default)]
pub struct EngineSlot {
    bridge: Option<WorkerBridge<EngineWorker>>,
    ready: bool,
    waiting: Vec<ToEngine>,
    faults: Option<FaultChannel>,
    /// Its death was handled: a panic is told twice (its report, then the trap that follows).
    dead: bool,
    heard: Heard,
}

/// Whether a worker's messages still reach the page: cleared when it dies. A worker whose wasm
/// trapped inside a message handler is not gone: its other tasks (a training loop) run on and
/// post, and gloo's handler state stays borrowed, so it never obeys the bridge's Destroy.
/// The engine closes itself after an uncaught error (`report_deaths`); this covers the moments
/// before, and any worker that does not.
pub type Heard = Rc<Cell<bool>>;

/// Where one worker's uncaught errors arrive (the engine's `report_deaths` posts them): a
/// channel named for this worker alone, so two tabs or a restarted worker never mix them up.
pub struct FaultChannel {
    channel: BroadcastChannel,
    _listener: Closure<dyn FnMut(MessageEvent)>,
}

impl FaultChannel {
    /// A fresh channel, and the loader address that tells the worker its name.
    pub fn open(on_death: impl Fn(String) + 'static) -> Option<(Self, String)> {
        let name = format!("atelier-fault-{}", js_sys::Math::random());
        let channel = BroadcastChannel::new(&name).ok()?;
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            on_death(event.data().as_string().unwrap_or_else(|| "an unknown error".into()))
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Some((Self { channel, _listener: listener }, loader(&name)))
    }
}

impl Drop for FaultChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// The engine's loader with the fault channel's name; with `?debug=1&engine_protocol=N` the
/// engine is also told to answer the handshake with version N, as an engine of another build
/// would (the mismatch test).
fn loader(fault_channel: &str) -> String {
    let mut url = format!("{ENGINE_LOADER}?{FAULT_PARAM}={fault_channel}");
    if let (Some("1"), Some(version)) = (query_param("debug").as_deref(), query_param("engine_protocol")) {
        url.push_str(&format!("&protocol={version}"));
    }
    url
}

pub type Slot = Rc<RefCell<EngineSlot>>;

impl EngineSlot {
    /// A freshly spawned worker: the handshake goes first, `init` right after it is answered.
    /// `heard`: the flag its bridge's callback reads before it passes a message on.
    pub fn start(
        &mut self,
        bridge: WorkerBridge<EngineWorker>,
        faults: Option<FaultChannel>,
        init: ToEngine,
        heard: Heard,
    ) {
        bridge.send(ToEngine::Hello(PROTOCOL_VERSION));
        self.heard = heard;
        self.bridge = Some(bridge);
        self.faults = faults;
        self.ready = false;
        self.dead = false;
        self.waiting = vec![init];
    }

    /// The worker died: true the first time it is told (the caller restarts it), false after.
    /// Nothing more is sent to it; `start` replaces (and so terminates) it.
    pub fn died(&mut self) -> bool {
        let first = !self.dead;
        self.dead = true;
        self.heard.set(false);
        self.ready = false;
        self.waiting.clear();
        first
    }

    pub fn send(&mut self, command: ToEngine) {
        match (&self.bridge, self.ready) {
            _ if self.dead => {}
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
