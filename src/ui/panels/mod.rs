//! The page's components, one module per part of the page.

pub mod chart;
mod chart_canvas;
pub mod charts;
pub mod classify;
pub mod confusion;
pub mod data_status;
pub mod draw;
pub mod evaluation;
pub mod gallery;
pub mod inside;
pub mod lesson;
pub mod live_figures;
pub mod model_files;
pub mod pixels;
pub mod presets;
pub mod runs;
pub mod share;
pub mod storage;
pub mod tiles;
pub mod train;
