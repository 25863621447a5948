//! One data file: from the Cache API when it is there, else from the network with progress.

use gloo_timers::callback::Timeout;
use js_sys::{Array, Function, Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, Cache, ReadableStreamDefaultReader, Response};

use super::global::scope;
use crate::data::{DataError, DataFile, FileProgress};

/// The Cache API bucket for the dataset. Bump the version to drop old entries.
pub const DATA_CACHE: &str = "atelier-data-v1";

/// Seconds without a byte after which a download counts as stalled: it fails with a message
/// and Retry, instead of "Loading" for ever on a connection that went quiet.
const STALL_SECONDS: u32 = 20;
const STALLED: &str = "atelier:stalled";

/// The reader's next chunk, or `None` when nothing arrived for [`STALL_SECONDS`].
async fn read_within(reader: &ReadableStreamDefaultReader) -> Result<Option<JsValue>, JsValue> {
    let mut resolve_stall: Option<Function> = None;
    let stall = Promise::new(&mut |resolve, _| resolve_stall = Some(resolve));
    let timer = Timeout::new(STALL_SECONDS * 1000, move || {
        if let Some(resolve) = resolve_stall {
            let _ = resolve.call1(&JsValue::UNDEFINED, &STALLED.into());
        }
    });
    let step = JsFuture::from(Promise::race(&Array::of2(&reader.read(), &stall))).await?;
    drop(timer); // cancels it when the chunk came first
    Ok((step.as_string().as_deref() != Some(STALLED)).then_some(step))
}

#[wasm_bindgen]
extern "C" {
    /// web-sys only has this behind `web_sys_unstable_apis`; one constructor is all we need.
    type DecompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;
}

pub(crate) struct Fetched {
    pub blob: Blob,
    pub from_cache: bool,
}

fn js_reason(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

async fn open_cache() -> Option<Cache> {
    let caches = scope().caches()?;
    JsFuture::from(caches.open(DATA_CACHE)).await.ok().map(JsCast::unchecked_into)
}

/// The most a gzip file of `file` may weigh: its decompressed size and some room (gzip never
/// makes these files much larger). A larger download is refused, not read.
fn download_limit(file: DataFile) -> usize {
    file.expected_bytes() + (1 << 20)
}

/// The file as a gzip blob, reporting progress as bytes arrive.
pub(crate) async fn fetch_gz(
    url: &str,
    file: DataFile,
    on_progress: &dyn Fn(FileProgress),
) -> Result<Fetched, DataError> {
    let network = |e: JsValue| DataError::Network { file: file.short_name(), reason: js_reason(&e) };
    let limit = download_limit(file);
    let too_large = || DataError::TooLarge { file: file.short_name(), limit };
    if let Some(cache) = open_cache().await
        && let Ok(hit) = JsFuture::from(cache.match_with_str(url)).await
        && let Some(response) = hit.dyn_ref::<Response>()
    {
        let blob: Blob = JsFuture::from(response.blob().map_err(network)?).await.map_err(network)?.unchecked_into();
        let size = blob.size();
        if size > limit as f64 {
            return Err(too_large());
        }
        on_progress(FileProgress { loaded: size, total: Some(size), done: true, cached: true });
        return Ok(Fetched { blob, from_cache: true });
    }

    let response = scope().fetch(url).await.map_err(network)?;
    if !response.ok() {
        let status = format!("{} {}", response.status(), response.status_text()).trim().to_string();
        return Err(DataError::Http { file: file.short_name(), url: url.into(), status });
    }
    let total = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<f64>().ok());
    if total.is_some_and(|total| total > limit as f64) {
        return Err(too_large());
    }
    let Some(body) = response.body() else {
        return Err(DataError::Empty { file: file.short_name() });
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let chunks = Array::new();
    let (mut loaded, mut reported) = (0.0, 0.0);
    loop {
        let Some(step) = read_within(&reader).await.map_err(network)? else {
            let _ = reader.cancel();
            return Err(DataError::Network {
                file: file.short_name(),
                reason: format!("no data arrived for {STALL_SECONDS} s, after {:.1} MB", loaded / 1e6),
            });
        };
        let done = js_sys::Reflect::get(&step, &"done".into()).map_err(network)?.is_truthy();
        if done {
            break;
        }
        let chunk: Uint8Array = js_sys::Reflect::get(&step, &"value".into()).map_err(network)?.unchecked_into();
        loaded += chunk.length() as f64;
        if loaded > limit as f64 {
            let _ = reader.cancel();
            return Err(too_large());
        }
        chunks.push(&chunk);
        // At most ~200 updates per file: enough for a smooth bar, cheap to render.
        if loaded - reported >= total.unwrap_or(0.0) / 200.0 {
            reported = loaded;
            on_progress(FileProgress { loaded, total, done: false, cached: false });
        }
    }
    if let Some(total) = total
        && loaded < total
    {
        return Err(DataError::Network {
            file: file.short_name(),
            reason: format!("the connection closed after {loaded} of {total} bytes"),
        });
    }
    let blob = Blob::new_with_u8_array_sequence(&chunks).map_err(network)?;
    on_progress(FileProgress { loaded, total: Some(loaded), done: true, cached: false });
    Ok(Fetched { blob, from_cache: false })
}

/// A decompressed file and, when asked for, its SHA-256 (hex).
pub(crate) struct Inflated {
    pub bytes: Vec<u8>,
    pub sha256: Option<String>,
}

/// Decompresses in the browser's native stream (no wasm inflater), never past the size of the
/// published file: a gzip bomb is refused after that many bytes. The SHA-256 is computed as the
/// bytes arrive, and the main thread is let go every few megabytes, so neither the check nor
/// the sum makes one long task.
pub(crate) async fn gunzip(file: DataFile, blob: &Blob, hash: bool) -> Result<Inflated, DataError> {
    use sha2::{Digest, Sha256};
    if blob.size() == 0.0 {
        return Err(DataError::Empty { file: file.short_name() });
    }
    let bad = |e: JsValue| DataError::Gzip { file: file.short_name(), reason: js_reason(&e) };
    let inflate = DecompressionStream::new("gzip").map_err(bad)?;
    let stream = blob.stream().pipe_through(inflate.unchecked_ref());
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let limit = file.expected_bytes();
    let (mut bytes, mut hasher, mut since_yield) = (Vec::with_capacity(limit), hash.then(Sha256::new), 0);
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(bad)?;
        if js_sys::Reflect::get(&step, &"done".into()).map_err(bad)?.is_truthy() {
            break;
        }
        let chunk: Uint8Array = js_sys::Reflect::get(&step, &"value".into()).map_err(bad)?.unchecked_into();
        let (start, length) = (bytes.len(), chunk.length() as usize);
        if start + length > limit {
            let _ = reader.cancel();
            return Err(DataError::TooLarge { file: file.short_name(), limit });
        }
        bytes.resize(start + length, 0);
        chunk.copy_to(&mut bytes[start..]);
        if let Some(hasher) = &mut hasher {
            hasher.update(&bytes[start..]);
        }
        since_yield += length;
        if since_yield >= YIELD_BYTES {
            since_yield = 0;
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
    }
    Ok(Inflated { bytes, sha256: hasher.map(|h| format!("{:x}", h.finalize())) })
}

/// Bytes decompressed and hashed between two yields to the event loop (~20 ms of work).
const YIELD_BYTES: usize = 4 << 20;

/// Keeps a verified file for the next visit. A full quota only costs a re-download later.
pub(crate) async fn store(url: &str, blob: &Blob) {
    let Some(cache) = open_cache().await else {
        return;
    };
    if let Ok(response) = Response::new_with_opt_blob(Some(blob)) {
        let _ = JsFuture::from(cache.put_with_str(url, &response)).await;
    }
}

/// Drops a cached file that turned out to be bad, so a retry downloads it again.
pub(crate) async fn evict(url: &str) {
    if let Some(cache) = open_cache().await {
        let _ = JsFuture::from(cache.delete_with_str(url)).await;
    }
}
