//! Every core on the CPU: the trainer starts helper workers (the same engine bundle, `?helper`),
//! each a replica of the run that computes the gradient of its shard of every batch
//! (`training::parallel`). The trainer adds the shards in order and sends the sum back; all
//! apply it; at each epoch's end every replica evaluates a part of the validation and test images
//! with the trainer's weights. wasm threads would need cross-origin isolation, which a static host
//! may not give; plain workers and transferred buffers work everywhere (`wire`; `helper` is the
//! helpers' side).
//!
//! A helper that fails or dies costs nothing: the trainer ends all of them and trains the rest
//! of the run alone, from the same batch (its own shard's gradient is discarded, not applied).
//!
//! While the user draws, the whole run holds between steps (`engine::stepping`): the helpers
//! wait for the next sum, which is all they ever do between steps.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Worker};

use self::wire::{
    EVALUATION, decode_evaluation, decode_gradients, describe, encode_gradients, get, gradient_array, set,
};
use crate::model::Model;
use crate::protocol::ENGINE_LOADER;
use crate::training::{PendingStep, ShardEvaluation, ShardGradients, Trainer};

pub mod helper;
mod wire;

/// The loader's query parameter that makes an engine worker a helper.
pub const HELPER_PARAM: &str = "helper";

thread_local! {
    /// The running helpers, for the fault-injection hook ([`trap_helper`]).
    static HELPERS: RefCell<Vec<Worker>> = const { RefCell::new(Vec::new()) };
}

/// Makes the first helper trap now (`TestHook::TrapHelper`) or when it is asked to evaluate
/// (`TestHook::TrapHelperAtEvaluation`); `false` when none runs.
pub(super) fn trap_helper(at_evaluation: bool) -> bool {
    HELPERS.with(|helpers| {
        helpers.borrow().first().is_some_and(|worker| {
            let message = Object::new();
            set(&message, "trap", &true.into());
            set(&message, "at_evaluation", &at_evaluation.into());
            worker.post_message(&message).is_ok()
        })
    })
}

#[derive(Default)]
struct Inbox {
    /// Each helper's gradients, oldest first.
    gradients: Vec<VecDeque<JsValue>>,
    /// Each helper's parts of epoch-end evaluations, oldest first.
    evaluations: Vec<VecDeque<JsValue>>,
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
        let queues = vec![VecDeque::new(); count - 1];
        let inbox = Rc::new(RefCell::new(Inbox { gradients: queues.clone(), evaluations: queues, ..Inbox::default() }));
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
            let transfer = Array::of2(&pixels.buffer(), &labels.buffer());
            // The test images too: each helper evaluates its part of them at every epoch's end.
            if let Some(test) = &trainer.data().test {
                let (pixels, labels) = (Uint8Array::from(test.pixels()), Uint8Array::from(test.labels()));
                set(&start, "test_pixels", &pixels);
                set(&start, "test_labels", &labels);
                transfer.push(&pixels.buffer());
                transfer.push(&labels.buffer());
            }
            set(&start, "shard", &(shard as u32).into());
            set(&start, "shards", &(count as u32).into());
            let mut start = Some((start, transfer));
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
                } else if get(&data, EVALUATION).is_truthy() {
                    inbox.evaluations[shard - 1].push_back(data);
                } else {
                    inbox.gradients[shard - 1].push_back(data);
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

    /// One message from every helper, in shard order, from the queues `queues` picks.
    async fn gather(&self, queues: fn(&mut Inbox) -> &mut Vec<VecDeque<JsValue>>) -> Result<Vec<JsValue>, String> {
        poll_fn(|cx| {
            let mut inbox = self.inbox.borrow_mut();
            if let Some(failure) = inbox.failure.clone() {
                return Poll::Ready(Err(failure));
            }
            let queues = queues(&mut inbox);
            if queues.iter().all(|queue| !queue.is_empty()) {
                return Poll::Ready(Ok(queues.iter_mut().filter_map(VecDeque::pop_front).collect()));
            }
            inbox.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// Sends the sum to every helper, in the array its own shard came in (`received`).
    fn broadcast(&self, total: &ShardGradients, received: &[JsValue]) -> Result<(), String> {
        for (worker, shard) in self.workers.iter().zip(received) {
            let (message, transfer) = encode_gradients(total, gradient_array(shard));
            worker.post_message_with_transfer(&message, &transfer).map_err(describe)?;
        }
        Ok(())
    }

    /// Sends every helper the weights to evaluate its part of the sets with.
    async fn ask_to_evaluate(&self, trainer: &Trainer) -> Result<(), String> {
        let file = trainer.model_file().read_async().await.map_err(|e| e.to_string())?.to_bytes();
        for worker in &self.workers {
            let weights = Uint8Array::from(file.as_slice());
            let message = Object::new();
            set(&message, "evaluate", &weights);
            worker.post_message_with_transfer(&message, &Array::of1(&weights.buffer())).map_err(describe)?;
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
    let workers = helpers.count();
    let mut total = trainer.shard_gradients(0, workers)?;
    let summed = async {
        let received = helpers.gather(|inbox| &mut inbox.gradients).await?;
        for shard in &received {
            total.add(&decode_gradients(shard)?)?;
        }
        helpers.broadcast(&total, &received)?;
        trainer.apply_gradients(&total)
    };
    match summed.await {
        Ok(mut pending) => {
            pending.info.workers = workers;
            Some(pending)
        }
        Err(reason) => {
            give_up(replicas, &reason);
            trainer.step()
        }
    }
}

/// At an epoch's end, asks the helpers to evaluate their parts of the validation and test images
/// with the trainer's weights (a helper's own differ in batch-norm statistics); the trainer
/// evaluates the first part meanwhile. How many parts the sets are cut into.
pub(super) async fn share_evaluation(trainer: &Trainer, replicas: &mut Option<Replicas>) -> usize {
    let Some(helpers) = replicas.as_ref() else {
        return 1;
    };
    match helpers.ask_to_evaluate(trainer).await {
        Ok(()) => helpers.count(),
        Err(reason) => {
            give_up(replicas, &reason);
            1
        }
    }
}

/// Parts 1.. of `parts` of the epoch-end evaluation, in order: the helpers', or, when one
/// failed, the trainer's own evaluation of them with `model`.
pub(super) async fn evaluation_parts(
    trainer: &Trainer,
    model: &Model,
    replicas: &mut Option<Replicas>,
    parts: usize,
) -> Vec<ShardEvaluation> {
    if parts < 2 {
        return Vec::new();
    }
    if let Some(helpers) = replicas.as_ref() {
        let answers = helpers.gather(|inbox| &mut inbox.evaluations).await;
        match answers.and_then(|answers| answers.iter().map(decode_evaluation).collect()) {
            Ok(answers) => return answers,
            Err(reason) => give_up(replicas, &reason),
        }
    }
    (1..parts).map(|part| trainer.evaluate_shard(model, part, parts).read()).collect()
}

/// Ends the helpers; the run goes on in one worker.
fn give_up(replicas: &mut Option<Replicas>, reason: &str) {
    web_sys::console::warn_1(&format!("Training goes on in one worker: {reason}").into());
    *replicas = None;
}
