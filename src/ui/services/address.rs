//! The page's address as the place its settings live (`state::link` says which and how): read
//! once at start, kept up to date as they change (a reload or a bookmark keeps them), and
//! copied for others.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::UrlSearchParams;

use crate::state::link::KEYS;

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// Every `key=value` of the page's address, in order.
pub fn query_pairs() -> Vec<(String, String)> {
    let search = location().and_then(|l| l.search().ok()).unwrap_or_default();
    let Ok(params) = UrlSearchParams::new_with_str(&search) else { return Vec::new() };
    js_sys::try_iter(&params)
        .ok()
        .flatten()
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let pair = js_sys::Array::from(&entry.ok()?);
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// This page's address with its query changed by `edit`.
fn edited(edit: impl FnOnce(&UrlSearchParams)) -> String {
    let Some(location) = location() else { return String::new() };
    let search = location.search().unwrap_or_default();
    let params = UrlSearchParams::new_with_str(&search).unwrap_or_else(|_| UrlSearchParams::new().expect("params"));
    edit(&params);
    let query = String::from(params.to_string());
    let separator = if query.is_empty() { "" } else { "?" };
    let (origin, path) = (location.origin().unwrap_or_default(), location.pathname().unwrap_or_default());
    format!("{origin}{path}{separator}{query}")
}

/// This page's address with `settings` in place of the settings it names now; the rest of it
/// (`?data=`, `?backend=`, `?debug=`…) kept as it is.
pub fn address_with(settings: &[(&str, String)]) -> String {
    edited(|params| {
        for key in KEYS.iter().filter(|k| **k != "backend") {
            params.delete(key);
        }
        for (key, value) in settings {
            params.append(key, value);
        }
    })
}

/// This page's address with `key` set to `value` (`None`: removed), the rest kept.
pub fn with_param(key: &str, value: Option<&str>) -> String {
    edited(|params| match value {
        Some(value) => params.set(key, value),
        None => params.delete(key),
    })
}

/// Shows `href` in the address bar without a new history entry or a reload.
pub fn replace_address(href: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(href));
    }
}

/// Puts `text` on the clipboard; false where the browser does not allow it (an insecure
/// context, no permission), and the page then shows the text to copy by hand.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let Ok(clipboard) = Reflect::get(&window.navigator(), &"clipboard".into()) else { return false };
    let Some(write) = Reflect::get(&clipboard, &"writeText".into()).ok().and_then(|f| f.dyn_into::<Function>().ok())
    else {
        return false;
    };
    match write.call1(&clipboard, &text.into()).map(|p| p.dyn_into::<Promise>()) {
        Ok(Ok(promise)) => JsFuture::from(promise).await.is_ok(),
        _ => false,
    }
}
