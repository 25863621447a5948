//! The Yew page: small function components around one `Reducible` state.

mod app;
mod chart;
mod data_status;
mod engine_link;
mod gallery;
mod metrics;
mod pixels;
mod run_state;
mod state;
mod train_panel;
mod training_charts;

pub use app::App;
