//! The page's ends of the outside world: the engine workers, IndexedDB and autosave, decoding
//! the user's pictures, saving files to disk.

pub mod autosave;
pub mod database;
pub mod engine_link;
pub mod input_image;
pub mod save_file;
