//! The page's ends of the outside world: the engine workers, persistence (IndexedDB and
//! autosave), decoding the user's pictures, saving files to disk, the page's address.

pub mod address;
pub mod crash;
mod debug_hooks;
pub mod engine_link;
pub mod engine_options;
mod engine_slot;
pub mod input_image;
pub mod persistence;
pub mod png;
pub mod save_file;
