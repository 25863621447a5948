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
    if atelier::web::query_param(atelier::engine::HELPER_PARAM).is_some() {
        // A replica the trainer started to train on another core (`engine::replicas`).
        atelier::engine::helper::serve();
        return;
    }
    atelier::engine::report_deaths();
    atelier::engine::EngineWorker::registrar().register();
}

/// Panics in the worker reach the console with their message instead of "unreachable".
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Atelier engine panicked: {info}").into());
        atelier::engine::report_crash(&info.to_string());
    }));
}
