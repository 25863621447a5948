//! `?debug=1`: the page's `window.atelierDebug`, through which the e2e tests and the benchmark
//! inject faults into the engine and read what it measured. Nothing here runs without the flag.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::Callback;

use crate::protocol::{InferenceFigures, TestHook, ToEngine};
use crate::web::query_param;

/// `window.atelierDebug.inference`: the figures of `measureInference()` (debug mode only), as
/// `{images, seconds, accuracy, backend}` or `{error}`.
pub(super) fn publish_inference_figures(figures: &Result<InferenceFigures, String>) {
    let Some(hooks) =
        web_sys::window().and_then(|w| js_sys::Reflect::get(&w, &"atelierDebug".into()).ok()).filter(|h| h.is_object())
    else {
        return;
    };
    let result = js_sys::Object::new();
    let set = |key: &str, value: wasm_bindgen::JsValue| {
        let _ = js_sys::Reflect::set(&result, &key.into(), &value);
    };
    match figures {
        Ok(f) => {
            set("images", (f.images as f64).into());
            set("seconds", f.seconds.into());
            set("accuracy", (f.accuracy as f64).into());
            set("backend", f.backend.name().into());
        }
        Err(message) => set("error", message.as_str().into()),
    }
    let _ = js_sys::Reflect::set(&hooks, &"inference".into(), &result);
}

/// With `?debug=1`, `window.atelierDebug` injects faults and measures, for the tests and the
/// benchmark: `loseGpu()` destroys the engine's WebGPU device, `diverge()` turns the training
/// weights to NaN before the next step, `trapEngine()` and `failAllocation()` kill the trainer
/// without a panic (a trap; an allocation that fails), `trapHelper()` and
/// `trapHelperAtEvaluation()` trap a data-parallel helper, `measureInference()` times the
/// pre-trained model, `pageWasmBytes()` reads the page's memory, `panicPage()` panics on the page.
pub(super) fn install_debug_hooks(send: Callback<ToEngine>) {
    if query_param("debug").as_deref() != Some("1") {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let hooks = js_sys::Object::new();
    for (name, hook) in [
        ("loseGpu", TestHook::LoseGpu),
        ("diverge", TestHook::Diverge),
        ("trapEngine", TestHook::Trap),
        ("failAllocation", TestHook::FailAllocation),
        ("trapHelper", TestHook::TrapHelper),
        ("trapHelperAtEvaluation", TestHook::TrapHelperAtEvaluation),
        ("measureInference", TestHook::MeasureInference),
    ] {
        let send = send.clone();
        let closure = Closure::<dyn Fn()>::new(move || send.emit(ToEngine::Test(hook)));
        let _ = js_sys::Reflect::set(&hooks, &name.into(), closure.as_ref());
        closure.forget();
    }
    // The page's wasm memory in bytes (it never shrinks: its high-water mark), for the soak test.
    let memory = Closure::<dyn Fn() -> f64>::new(|| {
        let memory = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>();
        memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
    });
    let _ = js_sys::Reflect::set(&hooks, &"pageWasmBytes".into(), memory.as_ref());
    memory.forget();
    // A panic on the page itself, to test what the user sees then (`services::crash`).
    let panic = Closure::<dyn Fn()>::new(|| panic!("a fault injected by atelierDebug.panicPage()"));
    let _ = js_sys::Reflect::set(&hooks, &"panicPage".into(), panic.as_ref());
    panic.forget();
    let _ = js_sys::Reflect::set(&window, &"atelierDebug".into(), &hooks);
}
