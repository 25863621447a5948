//! The Yew page: small function components around one `Reducible` state.

mod app;
mod chart;
mod confusion;
mod data_status;
mod engine_link;
mod evaluation;
mod gallery;
mod metrics;
mod pixels;
mod presets;
mod run_state;
mod runs;
mod state;
mod tiles;
mod train_panel;
mod training_charts;

pub use app::App;
