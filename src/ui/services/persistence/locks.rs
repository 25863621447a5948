//! Who trains a run: the tab that trains run N holds the Web Lock `atelier-run-N` while the run
//! is active (running or paused). The browser lets the lock go when that tab stops the run,
//! closes or crashes, so a tab that opens later can tell a run another tab still trains (listed
//! as theirs, never resumed here) from one that was cut short (resumable), and learns when the
//! other tab lets it go. Without Web Locks (an insecure context, an old browser) nothing is
//! held and a run saved as active is listed as interrupted, as before.

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const PREFIX: &str = "atelier-run-";

/// `navigator.locks`, where there is one.
fn manager() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    Reflect::get(&navigator, &"locks".into()).ok().filter(|locks| locks.is_object())
}

fn call(locks: &JsValue, method: &str, args: &Array) -> Option<Promise> {
    let function = Reflect::get(locks, &method.into()).ok()?.dyn_into::<Function>().ok()?;
    function.apply(locks, args).ok()?.dyn_into::<Promise>().ok()
}

/// This tab trains the run: held until dropped.
pub struct RunLock {
    release: Function,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::NULL);
    }
}

/// Takes run `id`'s lock for as long as the returned value lives (granted at once unless
/// another tab holds it, which it cannot while this tab trains the run).
pub fn hold(id: u32) -> Option<RunLock> {
    let locks = manager()?;
    let mut release = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    // The lock lasts until the promise its callback returns settles, that is until drop.
    let callback = Closure::once_into_js(move |_lock: JsValue| held);
    let _granted = call(&locks, "request", &Array::of2(&format!("{PREFIX}{id}").into(), &callback))?;
    Some(RunLock { release: release? })
}

/// The runs whose locks other tabs hold now (this tab holds none before it starts a run).
pub async fn held() -> Vec<u32> {
    let Some(snapshot) = manager().and_then(|locks| call(&locks, "query", &Array::new())) else {
        return Vec::new();
    };
    let Ok(snapshot) = JsFuture::from(snapshot).await else {
        return Vec::new();
    };
    let held = Reflect::get(&snapshot, &"held".into()).ok().map(|held| Array::from(&held)).unwrap_or_default();
    held.iter()
        .filter_map(|lock| Reflect::get(&lock, &"name".into()).ok()?.as_string())
        .filter_map(|name| name.strip_prefix(PREFIX)?.parse().ok())
        .collect()
}

/// Waits until no tab holds run `id`'s lock (at once when none does): it is granted to this
/// tab, which lets it go straight away.
pub async fn released(id: u32) {
    let Some(locks) = manager() else { return };
    let callback = Closure::once_into_js(|_lock: JsValue| JsValue::UNDEFINED);
    if let Some(granted) = call(&locks, "request", &Array::of2(&format!("{PREFIX}{id}").into(), &callback)) {
        let _ = JsFuture::from(granted).await;
    }
}
