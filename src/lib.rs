//! Atelier: train a neural network on Fashion-MNIST in the browser.
//!
//! Everything outside `web` and `ui` is plain Rust that builds and tests natively.

pub mod data;

#[cfg(feature = "engine")]
pub mod model;
#[cfg(feature = "engine")]
pub mod training;

#[cfg(feature = "web")]
pub mod web;

#[cfg(feature = "ui")]
pub mod ui;
