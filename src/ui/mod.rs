//! The Yew page: small function components around one `Reducible` state.
//!
//! - `crate::state` (outside `ui`, plain Rust with native tests): what the page knows, in one
//!   reducer (`AppState`, `Action`) with its parts: the current run, every run, the user's
//!   picture, what is saved.
//! - `panels`: the components, one per part of the page; they read the state and send
//!   `Action`s or engine commands through `Callback`s.
//! - `services`: the page's ends of the outside world: the engine workers, IndexedDB (and
//!   autosave), decoding pictures, saving files.
//!
//! Imports run one way: `app` → `panels` → `crate::state`; `services` use the state (they
//! dispatch actions); the state uses neither, nor Yew.

mod app;
mod panels;
mod services;

pub use app::App;
pub use services::crash::install_panic_hook;

use std::rc::Rc;

use crate::state::{Action, AppState};

/// The page's one `Reducible`: the state and its transitions are plain Rust (`crate::state`,
/// tested natively); only this binding is Yew's.
impl yew::Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(self.reduced(action))
    }
}
