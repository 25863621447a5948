//! The Yew page: small function components around one `Reducible` state.

mod app;
mod data_status;
mod gallery;
mod pixels;
mod state;

pub use app::App;
