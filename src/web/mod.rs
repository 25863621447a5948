//! Browser plumbing shared by the page and (later) the engine worker: downloads with progress,
//! the Cache API, gzip through the browser's own `DecompressionStream`.

mod download;
mod global;
mod dataset;

pub use dataset::{DatasetEvent, load_dataset};
pub use download::{DATA_CACHE, FileProgress};
pub use global::{fetch_bytes, mark, query_param};
