//! The reads and writes themselves: every run (settings and curves), an imported model file,
//! reading a run's checkpoint back (the trainer writes them, `web::store`), all in the browser's
//! IndexedDB, and the backend races in `localStorage`.
//! Nothing here is ever executed: runs are JSON, checkpoints and models are bytes the engine
//! validates before use. Only `persistence` calls these.

use js_sys::Uint8Array;
use rexie::TransactionMode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::state::saved::{SavedRun, UnreadableRun, read_saved_runs};

use crate::web::store::{BLOBS, RUNS, checkpoint_step_key, database, message};
pub use crate::web::store::{LATEST_MODEL, checkpoint_key};

async fn put(store: &str, key: &str, value: &JsValue) -> Result<(), String> {
    let db = database().await?;
    let tx = db.transaction(&[store], TransactionMode::ReadWrite).map_err(message)?;
    tx.store(store).map_err(message)?.put(value, Some(&JsValue::from_str(key))).await.map_err(message)?;
    tx.done().await.map_err(message)?;
    Ok(())
}

/// A new run's id, claimed together with its first record in one read-write transaction:
/// IndexedDB runs those one at a time per store, so a run started in another tab of the same
/// browser never gets the same id (ids were "this tab's highest + 1", and two tabs overwrote
/// each other's runs). At least `at_least` (what this tab has listed or reserved).
pub async fn claim_run_id(at_least: u32, record: impl Fn(u32) -> SavedRun) -> Result<u32, String> {
    let db = database().await?;
    let tx = db.transaction(&[RUNS], TransactionMode::ReadWrite).map_err(message)?;
    let store = tx.store(RUNS).map_err(message)?;
    let keys = store.get_all_keys(None, None).await.map_err(message)?;
    let stored = keys.iter().filter_map(|key| key.as_string()?.parse::<u32>().ok()).max().unwrap_or(0);
    let id = (stored + 1).max(at_least);
    let json = serde_json::to_string(&record(id)).map_err(|e| e.to_string())?;
    store.put(&JsValue::from_str(&json), Some(&JsValue::from_str(&id.to_string()))).await.map_err(message)?;
    tx.done().await.map_err(message)?;
    announce(&format!("saved:{id}"));
    Ok(id)
}

pub async fn save_run(run: &SavedRun) -> Result<(), String> {
    let json = serde_json::to_string(run).map_err(|e| e.to_string())?;
    put(RUNS, &run.id.to_string(), &JsValue::from_str(&json)).await?;
    announce(&format!("saved:{}", run.id));
    Ok(())
}

/// One stored run, if it is there and readable.
pub async fn load_run(id: u32) -> Option<SavedRun> {
    let db = database().await.ok()?;
    let tx = db.transaction(&[RUNS], TransactionMode::ReadOnly).ok()?;
    let value = tx.store(RUNS).ok()?.get(JsValue::from_str(&id.to_string())).await.ok()??;
    let (runs, _) = read_saved_runs(vec![(id, value.as_string()?)]);
    with_stored_checkpoints(runs).await.pop()
}

/// The runs with the steps of their stored checkpoints (`SavedRun::with_stored_checkpoint`);
/// as they are when those cannot be read.
async fn with_stored_checkpoints(runs: Vec<SavedRun>) -> Vec<SavedRun> {
    let Ok(db) = database().await else { return runs };
    let Ok(tx) = db.transaction(&[BLOBS], TransactionMode::ReadOnly) else { return runs };
    let Ok(store) = tx.store(BLOBS) else { return runs };
    let mut out = Vec::with_capacity(runs.len());
    for run in runs {
        let step = store.get(JsValue::from_str(&checkpoint_step_key(run.id))).await.ok().flatten();
        out.push(run.with_stored_checkpoint(step.and_then(|v| v.as_f64()).map(|step| step as usize)));
    }
    out
}

/// The channel on which this browser's Atelier tabs tell each other what they stored.
pub const TABS_CHANNEL: &str = "atelier-runs";

thread_local! {
    /// This tab, among the browser's Atelier tabs (a channel delivers to every other listener,
    /// this tab's own included, which must not take its own news for another tab's).
    static TAB: String = format!("{:08x}", (js_sys::Math::random() * f64::from(u32::MAX)) as u32);
}

/// Tells the other tabs (`saved:ID`, `deleted:ID`, `cleared`, then `@` and this tab's id); a
/// browser without `BroadcastChannel` simply has tabs that learn at their next load.
pub fn announce(message: &str) {
    if let Ok(channel) = web_sys::BroadcastChannel::new(TABS_CHANNEL) {
        let _ = channel.post_message(&JsValue::from_str(&TAB.with(|tab| format!("{message}@{tab}"))));
        channel.close();
    }
}

/// Another tab's news, without its sender: `None` for this tab's own.
pub fn from_other_tab(message: &str) -> Option<&str> {
    let (news, sender) = message.rsplit_once('@')?;
    TAB.with(|tab| sender != tab).then_some(news)
}

/// Every stored run, oldest first, and the records that could not be read back (with why).
pub async fn load_runs() -> Result<(Vec<SavedRun>, Vec<UnreadableRun>), String> {
    let db = database().await?;
    let tx = db.transaction(&[RUNS], TransactionMode::ReadOnly).map_err(message)?;
    let entries = tx.store(RUNS).map_err(message)?.scan(None, None, None, None).await.map_err(message)?;
    let records = entries
        .into_iter()
        .filter_map(|(key, value)| {
            let id = key.as_string()?.parse::<u32>().ok()?;
            Some((id, value.as_string().unwrap_or_default()))
        })
        .collect();
    let (runs, unreadable) = read_saved_runs(records);
    Ok((with_stored_checkpoints(runs).await, unreadable))
}

pub async fn put_bytes(key: &str, bytes: &[u8]) -> Result<(), String> {
    put(BLOBS, key, &Uint8Array::from(bytes).into()).await
}

pub async fn get_bytes(key: &str) -> Result<Option<Vec<u8>>, String> {
    let db = database().await?;
    let tx = db.transaction(&[BLOBS], TransactionMode::ReadOnly).map_err(message)?;
    let value = tx.store(BLOBS).map_err(message)?.get(JsValue::from_str(key)).await.map_err(message)?;
    Ok(value.and_then(|v| v.dyn_into::<Uint8Array>().ok()).map(|a| a.to_vec()))
}

/// Deletes a run and its checkpoint.
pub async fn delete_run(id: u32) -> Result<(), String> {
    let db = database().await?;
    let tx = db.transaction(&[RUNS, BLOBS], TransactionMode::ReadWrite).map_err(message)?;
    tx.store(RUNS).map_err(message)?.delete(JsValue::from_str(&id.to_string())).await.map_err(message)?;
    let blobs = tx.store(BLOBS).map_err(message)?;
    for key in [checkpoint_key(id), checkpoint_step_key(id)] {
        blobs.delete(JsValue::from_str(&key)).await.map_err(message)?;
    }
    tx.done().await.map_err(message)?;
    announce(&format!("deleted:{id}"));
    Ok(())
}

/// Deletes every run, checkpoint and model (the dataset cache stays: it is not the user's work).
pub async fn clear() -> Result<(), String> {
    let db = database().await?;
    let tx = db.transaction(&[RUNS, BLOBS], TransactionMode::ReadWrite).map_err(message)?;
    tx.store(RUNS).map_err(message)?.clear().await.map_err(message)?;
    tx.store(BLOBS).map_err(message)?.clear().await.map_err(message)?;
    tx.done().await.map_err(message)?;
    announce("cleared");
    Ok(())
}

/// What this site stores in all (IndexedDB, the dataset cache, the app): bytes used and allowed.
pub async fn usage() -> Option<(f64, f64)> {
    let storage = storage_manager()?;
    let estimate = JsFuture::from(storage.estimate().ok()?).await.ok()?;
    let number = |name: &str| js_sys::Reflect::get(&estimate, &name.into()).ok().and_then(|v| v.as_f64());
    Some((number("usage")?, number("quota")?))
}

/// `navigator.storage`, which only secure contexts have (not a plain-http LAN address).
fn storage_manager() -> Option<web_sys::StorageManager> {
    let navigator = web_sys::window()?.navigator();
    crate::web::defined(&navigator, "storage").then(|| navigator.storage())
}

/// Whether the browser keeps this site's data until the user deletes it.
pub async fn persisted() -> Option<bool> {
    let storage = storage_manager()?;
    JsFuture::from(storage.persisted().ok()?).await.ok()?.as_bool()
}

/// Asks the browser to keep this site's data (it may ask the user, or decide by engagement).
pub async fn persist() -> Option<bool> {
    let storage = storage_manager()?;
    JsFuture::from(storage.persist().ok()?).await.ok()?.as_bool()
}

/// Where the backend races of earlier visits are kept: a few hundred bytes, read before the
/// engine starts, so `localStorage` (synchronous) rather than IndexedDB.
const RACES: &str = "atelier.races";
/// One per adapter and workload; more than this and the oldest go.
const MAX_RACES: usize = 64;

/// The races stored on earlier visits (none when storage is unavailable or the record is
/// unreadable: the engine then simply measures again).
pub fn load_races() -> Vec<crate::race::RaceRecord> {
    local_storage()
        .and_then(|storage| storage.get_item(RACES).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Keeps a finished race for the next visit (best effort: a failure only costs a new race).
pub fn save_race(record: crate::race::RaceRecord) {
    let mut races = load_races();
    crate::race::remember(&mut races, record, MAX_RACES);
    if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(&races)) {
        let _ = storage.set_item(RACES, &json);
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
