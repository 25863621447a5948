//! The page's own panics. A Rust panic on the main thread ends the app's wasm instance: Yew
//! renders nothing more, and without this the page would sit frozen with no word why. The hook
//! writes a plain DOM banner (no Yew: it is dead) that says what happened and that the saved
//! runs are safe, with a link that reloads.

use wasm_bindgen::JsCast;

/// Yew installs its own console hook at the first render unless one is set through it: this
/// must run before `Renderer::render`.
pub fn install_panic_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Atelier page panicked: {info}").into());
        show_banner(&info.to_string());
    }));
}

fn show_banner(details: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let (Some(body), Ok(banner)) = (document.body(), document.create_element("div")) else {
        return;
    };
    banner.set_class_name("crash-banner");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "page-crashed");
    let details: String = details.chars().take(300).collect();
    banner.set_text_content(Some(&format!(
        "Atelier hit an internal error and stopped: {details}. Your saved runs and models are safe in this \
         browser. "
    )));
    if let Ok(link) = document.create_element("a") {
        let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
        let _ = link.set_attribute("href", &href);
        link.set_text_content(Some("Reload the page"));
        let _ = banner.append_child(&link);
    }
    if let Ok(banner) = banner.dyn_into::<web_sys::HtmlElement>() {
        let _ = body.prepend_with_node_1(&banner);
    }
}
