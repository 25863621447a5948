//! The global scope, whether a window or a worker: both have `fetch`, `caches`, `performance`.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CacheStorage, Response, WorkerGlobalScope};

pub(crate) enum Scope {
    Window(web_sys::Window),
    Worker(WorkerGlobalScope),
}

pub(crate) fn scope() -> Scope {
    let global = js_sys::global();
    match global.dyn_into::<web_sys::Window>() {
        Ok(window) => Scope::Window(window),
        Err(global) => Scope::Worker(global.unchecked_into()),
    }
}

impl Scope {
    pub(crate) async fn fetch(&self, url: &str) -> Result<Response, JsValue> {
        let promise = match self {
            Scope::Window(w) => w.fetch_with_str(url),
            Scope::Worker(w) => w.fetch_with_str(url),
        };
        Ok(wasm_bindgen_futures::JsFuture::from(promise).await?.unchecked_into())
    }

    /// `None` where the Cache API is unavailable (insecure origin, some private modes). There
    /// `caches` is undefined, and web-sys would hand it over as a `CacheStorage` whose first
    /// call throws: look before using it.
    pub(crate) fn caches(&self) -> Option<CacheStorage> {
        if !defined(&js_sys::global(), "caches") {
            return None;
        }
        match self {
            Scope::Window(w) => w.caches().ok(),
            Scope::Worker(w) => w.caches().ok(),
        }
    }

    fn performance(&self) -> Option<web_sys::Performance> {
        match self {
            Scope::Window(w) => w.performance(),
            Scope::Worker(w) => w.performance(),
        }
    }
}

/// A `performance.mark` that tests and the benchmark read (names start with `atelier:`).
pub fn mark(name: &str) {
    if let Some(perf) = scope().performance() {
        let _ = perf.mark(name);
    }
}

/// A query parameter of this scope's address: the page's (`?data=…`) or, in a worker, its
/// loader's (`?fault=…`, `?helper`). Both locations have `search`.
pub fn query_param(name: &str) -> Option<String> {
    let location = js_sys::Reflect::get(&js_sys::global(), &"location".into()).ok()?;
    let search = js_sys::Reflect::get(&location, &"search".into()).ok()?.as_string()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
}

/// The whole body of `url` (e.g. the shipped model weights), or a message saying what failed.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let reason = |e: JsValue| {
        e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"))
    };
    let response = scope().fetch(url).await.map_err(|e| format!("network error: {}", reason(e)))?;
    if !response.ok() {
        return Err(format!("the server answered {} {}", response.status(), response.status_text()));
    }
    let buffer = response.array_buffer().map_err(reason)?;
    let buffer = wasm_bindgen_futures::JsFuture::from(buffer)
        .await
        .map_err(|e| format!("download interrupted: {}", reason(e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Whether `object.name` exists: APIs for secure contexts only (Cache API, service workers,
/// `navigator.storage`, WebGPU) are simply absent on a plain-http LAN address.
pub fn defined(object: &wasm_bindgen::JsValue, name: &str) -> bool {
    js_sys::Reflect::get(object, &name.into()).is_ok_and(|value| !value.is_undefined() && !value.is_null())
}
