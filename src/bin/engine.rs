//! The engine worker's entry point: Burn lives in this bundle only.

use gloo_worker::Registrable;

// The linker's constructors (Burn's kernel registries use `inventory`). Unless `main` calls them
// itself, wasm-ld treats the module as a command and runs them again at the entry of every
// export: each callback, timer and JavaScript value crossing into wasm re-registered them all,
// more than half of the worker's time while a Dense model trained on the CPU.
#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

fn main() {
    // SAFETY: the linker's constructor function, called once, first, before any other code.
    #[cfg(target_family = "wasm")]
    unsafe {
        __wasm_call_ctors()
    };
    console_error_panic_hook_lite();
    if is_helper() {
        // A replica the trainer started to train on another core (`engine::replicas`).
        atelier::engine::helper::serve();
        return;
    }
    atelier::engine::report_deaths();
    atelier::engine::EngineWorker::registrar().register();
}

/// Whether this worker's loader address says `?helper`.
fn is_helper() -> bool {
    let location = js_sys::Reflect::get(&js_sys::global(), &"location".into()).unwrap_or_default();
    let href = js_sys::Reflect::get(&location, &"href".into()).ok().and_then(|h| h.as_string()).unwrap_or_default();
    web_sys::Url::new(&href).is_ok_and(|url| url.search_params().has(atelier::engine::HELPER_PARAM))
}

/// Panics in the worker reach the console with their message instead of "unreachable".
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Atelier engine panicked: {info}").into());
        atelier::engine::report_crash(&info.to_string());
    }));
}
