//! The engine's Web Worker. The page and the worker share [`EngineWorker`] (gloo-worker needs
//! the same type on both sides to spawn and to register); only the worker bundle, built with
//! the `worker` feature, holds the Burn half.

#[cfg(feature = "worker")]
mod backend;
#[cfg(feature = "worker")]
mod chooser;
#[cfg(feature = "worker")]
mod classify;
#[cfg(feature = "worker")]
mod convert;
#[cfg(feature = "worker")]
mod inspect;
#[cfg(feature = "worker")]
mod measure;
#[cfg(feature = "worker")]
mod replicas;
#[cfg(feature = "worker")]
mod runner;
#[cfg(feature = "worker")]
mod saving;
#[cfg(feature = "worker")]
mod shared;
#[cfg(feature = "worker")]
mod stepping;
#[cfg(feature = "worker")]
mod weights;
mod worker;

#[cfg(feature = "worker")]
pub use replicas::{HELPER_PARAM, helper};
#[cfg(feature = "worker")]
pub use runner::report_crash;
#[cfg(feature = "worker")]
pub use worker::report_deaths;
pub use worker::{ENGINE_LOADER, EngineWorker, FAULT_PARAM};
