//! The Yew page: small function components around one `Reducible` state.
//!
//! - `state`: what the page knows, in one reducer (`AppState`, `Action`) with its parts: the
//!   current run, every run, the user's picture, what is saved.
//! - `panels`: the components, one per part of the page; they read the state and send
//!   `Action`s or engine commands through `Callback`s.
//! - `services`: the page's ends of the outside world: the engine workers, IndexedDB (and
//!   autosave), decoding pictures, saving files.
//!
//! Imports run one way: `app` → `panels` → `state`; `services` use `state` (they dispatch
//! actions); `state` uses neither.

mod app;
mod panels;
mod services;
mod state;

pub use app::App;
