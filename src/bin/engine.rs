//! The engine worker's entry point: Burn lives in this bundle only.

use gloo_worker::Registrable;

fn main() {
    console_error_panic_hook_lite();
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
