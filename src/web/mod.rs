//! Browser plumbing shared by the page and the engine workers: downloads with progress,
//! the Cache API, gzip through the browser's own `DecompressionStream`, the IndexedDB database.

mod dataset;
mod fetch;
mod global;
pub mod store;

pub use crate::data::FileProgress;
pub use dataset::{DatasetEvent, load_dataset};
pub use fetch::DATA_CACHE;
pub use global::{defined, fetch_bytes, mark, query_param};
