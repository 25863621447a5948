//! The browser database both threads write: the page its runs (settings and curves) and the
//! imported models, the trainer worker each checkpoint and the model file it implies. The
//! checkpoints go straight from the worker that made them: 8–16 MB decoded on the page, copied
//! into its wasm and out again cost the page a 35–75 ms task at every epoch's end.
//! The page's reads and writes are in `ui::services::persistence`; this module only names the
//! database and stores the trainer's bytes.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Uint8Array;
use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::JsValue;

const DB: &str = "atelier";
pub const RUNS: &str = "runs";
pub const BLOBS: &str = "blobs";
/// The key of the latest trained or imported model file.
pub const LATEST_MODEL: &str = "model:latest";

pub fn checkpoint_key(run: u32) -> String {
    format!("checkpoint:{run}")
}

/// The global step of run `run`'s stored checkpoint, written in the same transaction as its
/// bytes: the page's run record says it too, but a tab closed between the two writes left
/// the record one checkpoint behind (or with none after the first epoch).
pub fn checkpoint_step_key(run: u32) -> String {
    format!("checkpoint-step:{run}")
}

thread_local! {
    static DATABASE: RefCell<Option<Rc<Rexie>>> = const { RefCell::new(None) };
}

/// A storage failure in words: a full quota is named as such.
pub fn message(err: impl std::fmt::Debug) -> String {
    let details = format!("{err:?}");
    if details.contains("Quota") {
        "the browser's storage for this site is full — delete some runs to make room".into()
    } else {
        format!("the browser's storage failed ({})", details.chars().take(160).collect::<String>())
    }
}

/// This thread's connection (opened, and the stores created, on first use by either thread).
pub async fn database() -> Result<Rc<Rexie>, String> {
    if let Some(db) = DATABASE.with(|d| d.borrow().clone()) {
        return Ok(db);
    }
    let db = Rexie::builder(DB)
        .version(1)
        .add_object_store(ObjectStore::new(RUNS))
        .add_object_store(ObjectStore::new(BLOBS))
        .build()
        .await
        .map_err(message)?;
    let db = Rc::new(db);
    DATABASE.with(|d| *d.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// A run's checkpoint, its step and its weights as the latest model file, in one transaction
/// (the trainer calls this before it reports the checkpoint, so the run record the page writes
/// next never claims a checkpoint that is not there; the step covers a record written too
/// late). Both are copied out of wasm when this is called, before the returned future first
/// waits: the checkpoint's bytes are freed at once, so nothing that runs meanwhile has to
/// allocate around them (wasm memory never shrinks), and the caller keeps the model file.
pub fn save_checkpoint(
    run: u32,
    global_step: usize,
    checkpoint: Vec<u8>,
    model_file: &[u8],
) -> impl std::future::Future<Output = Result<(), String>> + use<> {
    let blobs: [(JsValue, String); 3] = [
        (Uint8Array::from(&checkpoint[..]).into(), checkpoint_key(run)),
        (JsValue::from_f64(global_step as f64), checkpoint_step_key(run)),
        (Uint8Array::from(model_file).into(), LATEST_MODEL.to_string()),
    ];
    drop(checkpoint);
    async move {
        let db = database().await?;
        let tx = db.transaction(&[BLOBS], TransactionMode::ReadWrite).map_err(message)?;
        let store = tx.store(BLOBS).map_err(message)?;
        for (value, key) in &blobs {
            store.put(value, Some(&JsValue::from_str(key))).await.map_err(message)?;
        }
        tx.done().await.map_err(message)?;
        Ok(())
    }
}
