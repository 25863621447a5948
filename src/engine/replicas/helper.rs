//! The helper's side: a replica of the run in its own worker, answering the trainer's messages —
//! the run to join, each step's summed gradient, and at each epoch's end the weights to evaluate
//! its part of the validation and test images with.

use std::cell::RefCell;

use burn::prelude::Device;
use js_sys::{Float32Array, Object, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::wire::{decode_gradients, describe, encode_evaluation, encode_gradients, get, gradient_array, set};
use crate::data::{Split, SplitKind};
use crate::training::{ModelFile, Trainer, TrainingData};

struct Replica {
    trainer: Trainer,
    shard: usize,
    shards: usize,
    /// The last sum's array, to send the next gradient in.
    spare: Option<Float32Array>,
    /// Fault injection: trap when asked to evaluate (`TestHook::TrapHelperAtEvaluation`).
    trap_at_evaluation: bool,
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
    // A trap must not happen while `replica` is borrowed: the wasm instance lives on after it, and
    // the next message would find the borrow still held (a panic, which ends the run).
    if get(data, "trap").is_truthy() {
        let deferred = get(data, "at_evaluation").is_truthy()
            && replica.borrow_mut().as_mut().map(|r| r.trap_at_evaluation = true).is_some();
        if !deferred {
            trap();
        }
        return Ok(());
    }
    if get(data, "evaluate").is_truthy() && replica.borrow().as_ref().is_some_and(|r| r.trap_at_evaluation) {
        trap();
    }
    let mut replica = replica.borrow_mut();
    if let Ok(checkpoint) = get(data, "checkpoint").dyn_into::<Uint8Array>() {
        *replica = Some(join(data, &checkpoint.to_vec())?);
    } else if let Ok(weights) = get(data, "evaluate").dyn_into::<Uint8Array>() {
        let replica = replica.as_ref().ok_or("weights came before the run")?;
        let model = ModelFile::from_bytes(&weights.to_vec())
            .and_then(|file| file.load(&Device::flex()))
            .map_err(|e| e.to_string())?;
        let part = replica.trainer.evaluate_shard(&model, replica.shard, replica.shards).read();
        let (message, transfer) = encode_evaluation(&part);
        // Nothing to train: the next gradient is already on its way (computed after the last step).
        return reply.post_message_with_transfer(&message, &transfer).map_err(describe);
    } else {
        let replica = replica.as_mut().ok_or("a gradient came before the run")?;
        replica.trainer.apply_gradients(&decode_gradients(data)?)?;
        replica.trainer.skip_epoch_end();
        replica.spare = gradient_array(data);
    }
    let replica = replica.as_mut().expect("set above");
    if let Some(gradients) = replica.trainer.shard_gradients(replica.shard, replica.shards) {
        let (message, transfer) = encode_gradients(&gradients, replica.spare.take());
        reply.post_message_with_transfer(&message, &transfer).map_err(describe)?;
    }
    Ok(())
}

/// The run from the trainer's checkpoint and images.
fn join(data: &JsValue, checkpoint: &[u8]) -> Result<Replica, String> {
    let bytes = |key| get(data, key).dyn_into::<Uint8Array>().map(|a| a.to_vec()).map_err(|_| format!("no {key}"));
    let train = Split::from_parts(SplitKind::Train, bytes("pixels")?, bytes("labels")?);
    let test = match (bytes("test_pixels"), bytes("test_labels")) {
        (Ok(pixels), Ok(labels)) => Some(Split::from_parts(SplitKind::Test, pixels, labels)),
        _ => None,
    };
    let trainer = super::super::saving::resume_trainer(checkpoint, TrainingData::new(train, test), &Device::flex())?;
    let index = |key| get(data, key).as_f64().map(|v| v as usize).ok_or_else(|| format!("no {key}"));
    Ok(Replica { trainer, shard: index("shard")?, shards: index("shards")?, spare: None, trap_at_evaluation: false })
}

/// A wasm trap (no panic, no message): the worker dies as from a bug in a kernel.
fn trap() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
}
