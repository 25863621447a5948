//! What the trainer and its helpers send each other: plain objects with transferred
//! `Float32Array`s (a gradient is 2.8 MB for the Baseline CNN; transferring avoids a copy).

use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::training::{EvalSums, ShardEvaluation, ShardGradients};

/// The key that marks a helper's part of an epoch-end evaluation (its other messages are
/// gradients).
pub(super) const EVALUATION: &str = "evaluation";

/// `reuse`: a gradient's array that came in (and is no longer needed), so that no new 2.8 MB
/// buffer is allocated and first touched for every step.
pub(super) fn encode_gradients(gradients: &ShardGradients, reuse: Option<Float32Array>) -> (JsValue, Array) {
    let values = match reuse {
        Some(array) if array.length() as usize == gradients.values.len() => {
            array.copy_from(&gradients.values);
            array
        }
        _ => floats(&gradients.values),
    };
    let message = Object::new();
    set(&message, "step", &(gradients.global_step as f64).into());
    set(&message, "values", &values);
    set(&message, "loss_sum", &gradients.loss_sum.into());
    set(&message, "correct", &gradients.correct.into());
    set(&message, "images", &(gradients.images as f64).into());
    (message.into(), Array::of1(&values.buffer()))
}

pub(super) fn decode_gradients(message: &JsValue) -> Result<ShardGradients, String> {
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

/// A gradient message's array, to send the next gradient in ([`encode_gradients`]).
pub(super) fn gradient_array(message: &JsValue) -> Option<Float32Array> {
    get(message, "values").dyn_into::<Float32Array>().ok()
}

pub(super) fn encode_evaluation(part: &ShardEvaluation) -> (JsValue, Array) {
    let probabilities = floats(&part.test_probabilities);
    let message = Object::new();
    set(&message, EVALUATION, &true.into());
    set(&message, "validation", &sums(part.validation));
    set(&message, "test", &sums(part.test));
    set(&message, "probabilities", &probabilities);
    (message.into(), Array::of1(&probabilities.buffer()))
}

pub(super) fn decode_evaluation(message: &JsValue) -> Result<ShardEvaluation, String> {
    let probabilities =
        get(message, "probabilities").dyn_into::<Float32Array>().map_err(|_| "a helper sent no probabilities")?;
    Ok(ShardEvaluation {
        validation: read_sums(&get(message, "validation"))?,
        test: read_sums(&get(message, "test"))?,
        test_probabilities: probabilities.to_vec(),
    })
}

/// `[images, loss_sum, correct]`, or `null` for a set that is empty in the whole run.
fn sums(sums: Option<EvalSums>) -> JsValue {
    match sums {
        Some(s) => Array::of3(&(s.images as f64).into(), &s.loss_sum.into(), &s.correct.into()).into(),
        None => JsValue::NULL,
    }
}

fn read_sums(value: &JsValue) -> Result<Option<EvalSums>, String> {
    if value.is_null() || value.is_undefined() {
        return Ok(None);
    }
    let array = value.dyn_ref::<Array>().ok_or("a helper's evaluation is not a list")?;
    let number = |i| array.get(i).as_f64().ok_or("a helper's evaluation lacks a number");
    Ok(Some(EvalSums { images: number(0)? as usize, loss_sum: number(1)?, correct: number(2)? as u32 }))
}

fn floats(values: &[f32]) -> Float32Array {
    let array = Float32Array::new_with_length(values.len() as u32);
    array.copy_from(values);
    array
}

pub(super) fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or_default()
}

pub(super) fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

pub(super) fn describe(error: JsValue) -> String {
    error.as_string().or_else(|| get(&error, "message").as_string()).unwrap_or_else(|| format!("{error:?}"))
}
