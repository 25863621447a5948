//! Atelier: train a neural network on Fashion-MNIST in the browser.
//!
//! Everything outside `web`, `engine` and `ui` is plain Rust that builds and tests natively.

pub mod data;
pub mod metrics;
pub mod preprocess;
pub mod protocol;
pub mod race;
pub mod state;

#[cfg(feature = "engine")]
pub mod inference;
#[cfg(feature = "engine")]
pub mod model;
#[cfg(feature = "engine")]
pub mod training;

#[cfg(feature = "web")]
pub mod web;

#[cfg(any(feature = "ui", feature = "worker"))]
pub mod engine;

#[cfg(feature = "ui")]
pub mod ui;
