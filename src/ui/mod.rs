//! The Yew page: small function components around one `Reducible` state.

mod app;
mod autosave;
mod chart;
mod chart_canvas;
mod classify;
mod classify_state;
mod confusion;
mod data_status;
mod draw;
mod engine_link;
mod evaluation;
mod gallery;
mod input_image;
mod metrics;
mod pixels;
mod presets;
mod run_state;
mod runs;
mod saved;
mod state;
mod storage;
mod storage_panel;
mod tiles;
mod train_panel;
mod training_charts;

pub use app::App;
