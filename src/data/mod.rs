//! Fashion-MNIST: the four IDX files, their parsing and the class names.
//!
//! Pixels stay `u8` everywhere (the train set as f32 would be 188 MB); models convert one
//! batch at a time.

mod classes;
mod error;
mod files;
mod idx;
#[cfg(not(target_arch = "wasm32"))]
mod native;
mod split;

pub use classes::{CLASS_NAMES, NUM_CLASSES};
pub use error::DataError;
pub use files::{DataFile, FileProgress, SplitKind};
pub use idx::{IMAGE_SIDE, PIXELS_PER_IMAGE, parse_images, parse_labels};
#[cfg(not(target_arch = "wasm32"))]
pub use native::{FashionMnist, decode_gzip, load_dir, load_split_gz};
pub use split::Split;
