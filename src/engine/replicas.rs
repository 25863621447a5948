//! Every core on the CPU: the trainer starts helper workers (the same engine bundle, `?helper`),
//! each a replica of the run that computes the gradient of its shard of every batch
//! (`training::parallel`). The trainer adds the shards in order and sends the sum back; all
//! apply it. wasm threads would need cross-origin isolation, which a static host may not give;
//! plain workers and transferred buffers work everywhere.
//!
//! A helper that fails or dies costs nothing: the trainer ends all of them and trains the rest
//! of the run alone, from the same batch (its own shard's gradient is discarded, not applied).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Worker};

use crate::protocol::ENGINE_LOADER;
use crate::training::{PendingStep, ShardGradients, Trainer};

/// The loader's query parameter that makes an engine worker a helper.
pub const HELPER_PARAM: &str = "helper";

thread_local! {
    /// The running helpers, for the fault-injection hook ([`trap_helper`]).
    static HELPERS: RefCell<Vec<Worker>> = const { RefCell::new(Vec::new()) };
}

/// Makes the first helper trap (`TestHook::TrapHelper`); `false` when none runs.
pub(super) fn trap_helper() -> bool {
    HELPERS.with(|helpers| {
        helpers.borrow().first().is_some_and(|worker| {
            let message = Object::new();
            set(&message, "trap", &true.into());
            worker.post_message(&message).is_ok()
        })
    })
}

#[derive(Default)]
struct Inbox {
    /// Each helper's messages, oldest first.
    messages: Vec<VecDeque<JsValue>>,
    failure: Option<String>,
    waker: Option<Waker>,
}

/// The helpers of one run; dropping it ends them.
pub(super) struct Replicas {
    workers: Vec<Worker>,
    inbox: Rc<RefCell<Inbox>>,
    _listeners: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Replicas {
    /// Starts `count - 1` helpers from `checkpoint` (the trainer's state now) with the train images.
    pub(super) fn start(count: usize, checkpoint: &[u8], trainer: &Trainer) -> Result<Self, String> {
        let inbox = Rc::new(RefCell::new(Inbox { messages: vec![VecDeque::new(); count - 1], ..Inbox::default() }));
        let mut replicas = Self { workers: Vec::new(), inbox, _listeners: Vec::new() };
        let train = &trainer.data().train;
        for shard in 1..count {
            let worker = Worker::new(&format!("{ENGINE_LOADER}?{HELPER_PARAM}=1")).map_err(describe)?;
            // Posted when the helper says it listens: its wasm loads asynchronously, after the
            // script's first turn, and a message that arrives before it listens is lost.
            let (pixels, labels) = (Uint8Array::from(train.pixels()), Uint8Array::from(train.labels()));
            let start = Object::new();
            set(&start, "checkpoint", &Uint8Array::from(checkpoint));
            set(&start, "pixels", &pixels);
            set(&start, "labels", &labels);
            set(&start, "shard", &(shard as u32).into());
            set(&start, "shards", &(count as u32).into());
            let mut start = Some((start, Array::of2(&pixels.buffer(), &labels.buffer())));
            let (inbox, helper) = (replicas.inbox.clone(), worker.clone());
            let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let data = event.unchecked_into::<MessageEvent>().data();
                let mut inbox = inbox.borrow_mut();
                if get(&data, "ready").is_truthy() {
                    if let Some((message, transfer)) = start.take()
                        && let Err(e) = helper.post_message_with_transfer(&message, &transfer)
                    {
                        inbox.failure = Some(format!("helper {shard} could not start: {}", describe(e)));
                    }
                } else if let Some(error) = get(&data, "error").as_string() {
                    inbox.failure = Some(format!("helper {shard} failed: {error}"));
                } else {
                    inbox.messages[shard - 1].push_back(data);
                }
                if let Some(waker) = inbox.waker.take() {
                    waker.wake();
                }
            });
            let inbox = replicas.inbox.clone();
            let on_error = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                // Handled here: uncancelled, a helper's error would reach the trainer's own
                // global scope as if the trainer had failed (and its fault listener closes it).
                event.unchecked_ref::<web_sys::Event>().prevent_default();
                let message = get(&event, "message").as_string().unwrap_or_else(|| "it stopped".into());
                let mut inbox = inbox.borrow_mut();
                inbox.failure = Some(format!("helper {shard} died: {message}"));
                if let Some(waker) = inbox.waker.take() {
                    waker.wake();
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            replicas._listeners.extend([on_message, on_error]);
            replicas.workers.push(worker);
        }
        HELPERS.with(|helpers| *helpers.borrow_mut() = replicas.workers.clone());
        Ok(replicas)
    }

    pub(super) fn count(&self) -> usize {
        self.workers.len() + 1
    }

    /// The helpers' shards of the next step, in shard order.
    async fn gather(&self) -> Result<Vec<ShardGradients>, String> {
        let messages = poll_fn(|cx| {
            let mut inbox = self.inbox.borrow_mut();
            if let Some(failure) = inbox.failure.clone() {
                return Poll::Ready(Err(failure));
            }
            if inbox.messages.iter().all(|queue| !queue.is_empty()) {
                return Poll::Ready(Ok(inbox.messages.iter_mut().filter_map(VecDeque::pop_front).collect::<Vec<_>>()));
            }
            inbox.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await?;
        messages.iter().map(decode).collect()
    }

    fn broadcast(&self, total: &ShardGradients) -> Result<(), String> {
        for worker in &self.workers {
            let (message, transfer) = encode(total);
            worker.post_message_with_transfer(&message, &transfer).map_err(describe)?;
        }
        Ok(())
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        self.workers.iter().for_each(Worker::terminate);
        HELPERS.with(|helpers| helpers.borrow_mut().clear());
    }
}

/// One training step: alone, or with the helpers when there are any. A helper's failure ends
/// them all (`replicas` becomes `None`, said on the console) and the step is trained alone.
pub(super) async fn step(trainer: &mut Trainer, replicas: &mut Option<Replicas>) -> Option<PendingStep> {
    let Some(helpers) = replicas.as_ref() else {
        return trainer.step();
    };
    let count = helpers.count();
    let mut total = trainer.shard_gradients(0, count)?;
    let summed = async {
        for shard in helpers.gather().await? {
            total.add(&shard)?;
        }
        helpers.broadcast(&total)?;
        trainer.apply_gradients(&total)
    };
    match summed.await {
        Ok(mut pending) => {
            pending.info.workers = count;
            Some(pending)
        }
        Err(reason) => {
            web_sys::console::warn_1(&format!("Training goes on in one worker: {reason}").into());
            *replicas = None;
            trainer.step()
        }
    }
}

fn encode(gradients: &ShardGradients) -> (JsValue, Array) {
    let values = Float32Array::new_with_length(gradients.values.len() as u32);
    values.copy_from(&gradients.values);
    let message = Object::new();
    set(&message, "step", &(gradients.global_step as f64).into());
    set(&message, "values", &values);
    set(&message, "loss_sum", &gradients.loss_sum.into());
    set(&message, "correct", &gradients.correct.into());
    set(&message, "images", &(gradients.images as f64).into());
    (message.into(), Array::of1(&values.buffer()))
}

fn decode(message: &JsValue) -> Result<ShardGradients, String> {
    let number = |key| get(message, key).as_f64().ok_or_else(|| format!("a helper's message has no {key}"));
    let values = get(message, "values").dyn_into::<Float32Array>().map_err(|_| "a helper sent no gradient")?;
    Ok(ShardGradients {
        global_step: number("step")? as usize,
        values: values.to_vec(),
        loss_sum: number("loss_sum")? as f32,
        correct: number("correct")? as u32,
        images: number("images")? as usize,
    })
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or_default()
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

fn describe(error: JsValue) -> String {
    error.as_string().or_else(|| get(&error, "message").as_string()).unwrap_or_else(|| format!("{error:?}"))
}

/// The helper's side: answers the trainer's messages in a helper worker.
pub mod helper {
    use super::*;
    use crate::data::{Split, SplitKind};
    use crate::training::TrainingData;
    use burn::prelude::Device;
    use web_sys::DedicatedWorkerGlobalScope;

    struct Replica {
        trainer: Trainer,
        shard: usize,
        shards: usize,
    }

    /// Installs the helper's message handler (from `main`, instead of the engine's).
    pub fn serve() {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let replica: RefCell<Option<Replica>> = RefCell::new(None);
        let reply = scope.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            if let Err(error) = answer(&replica, &data, &reply) {
                let message = Object::new();
                set(&message, "error", &error.into());
                let _ = reply.post_message(&message);
            }
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let ready = Object::new();
        set(&ready, "ready", &true.into());
        let _ = scope.post_message(&ready);
    }

    fn answer(
        replica: &RefCell<Option<Replica>>,
        data: &JsValue,
        reply: &DedicatedWorkerGlobalScope,
    ) -> Result<(), String> {
        if get(data, "trap").is_truthy() {
            #[cfg(target_arch = "wasm32")]
            core::arch::wasm32::unreachable();
        }
        let mut replica = replica.borrow_mut();
        if let Ok(checkpoint) = get(data, "checkpoint").dyn_into::<Uint8Array>() {
            let bytes =
                |key| get(data, key).dyn_into::<Uint8Array>().map(|a| a.to_vec()).map_err(|_| format!("no {key}"));
            let train = Split::from_parts(SplitKind::Train, bytes("pixels")?, bytes("labels")?);
            let data_set = TrainingData::new(train, None);
            let trainer = super::super::saving::resume_trainer(&checkpoint.to_vec(), data_set, &Device::flex())?;
            let index = |key| get(data, key).as_f64().map(|v| v as usize).ok_or_else(|| format!("no {key}"));
            *replica = Some(Replica { trainer, shard: index("shard")?, shards: index("shards")? });
        } else {
            let replica = replica.as_mut().ok_or("a gradient came before the run")?;
            replica.trainer.apply_gradients(&decode(data)?)?;
            replica.trainer.skip_epoch_end();
        }
        let replica = replica.as_mut().expect("set above");
        if let Some(gradients) = replica.trainer.shard_gradients(replica.shard, replica.shards) {
            let (message, transfer) = encode(&gradients);
            reply.post_message_with_transfer(&message, &transfer).map_err(describe)?;
        }
        Ok(())
    }
}
