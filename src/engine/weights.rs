//! The trainer's weights reach the classifier worker over a `BroadcastChannel` the page names:
//! worker to worker, so a model file (4 MB for the Atelier CNN) is not decoded, copied and
//! encoded again on the page's main thread at every epoch end and Pause.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

use super::saving::import_model;
use super::shared::Shared;

pub(super) struct WeightsChannel {
    channel: BroadcastChannel,
    /// The classifier's listener, alive as long as the channel.
    _listener: Option<Closure<dyn FnMut(MessageEvent)>>,
}

impl WeightsChannel {
    /// The trainer's end: it only posts.
    pub(super) fn for_trainer(name: &str) -> Option<Self> {
        Some(Self { channel: BroadcastChannel::new(name).ok()?, _listener: None })
    }

    /// The classifier's end: every model file posted is imported quietly, as the page's
    /// `ImportModel { quiet: true }` would be (and checked the same way).
    pub(super) fn for_classifier(name: &str, shared: &Rc<RefCell<Shared>>) -> Option<Self> {
        let channel = BroadcastChannel::new(name).ok()?;
        let shared = Rc::downgrade(shared);
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let (Some(shared), Ok(bytes)) = (shared.upgrade(), event.data().dyn_into::<Uint8Array>()) else {
                return;
            };
            import_model(shared, bytes.to_vec(), true);
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Some(Self { channel, _listener: Some(listener) })
    }

    pub(super) fn publish(&self, model_file: &[u8]) {
        let _ = self.channel.post_message(&Uint8Array::from(model_file));
    }
}
