//! Native-only loading from `.gz` files on disk (the trainer, tests and benches).

use std::io::Read;
use std::path::Path;

use super::{DataError, DataFile, Split, SplitKind};

/// Both splits of the dataset.
#[derive(Debug, Clone)]
pub struct FashionMnist {
    pub train: Split,
    pub test: Split,
}

/// Decompresses a gzip file held in memory.
pub fn decode_gzip(file: &str, gz: &[u8]) -> Result<Vec<u8>, DataError> {
    if gz.is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut raw)
        .map_err(|e| DataError::Gzip { file: file.into(), reason: e.to_string() })?;
    Ok(raw)
}

/// Parses one split from its two gzip files.
pub fn load_split_gz(kind: SplitKind, images_gz: &[u8], labels_gz: &[u8]) -> Result<Split, DataError> {
    let images = decode_gzip(&DataFile { split: kind, is_labels: false }.short_name(), images_gz)?;
    let labels = decode_gzip(&DataFile { split: kind, is_labels: true }.short_name(), labels_gz)?;
    Split::from_idx_owned(kind, images, &labels)
}

/// Loads the four published `.gz` files from a folder.
pub fn load_dir(dir: &Path) -> Result<FashionMnist, DataError> {
    let read = |kind: SplitKind, is_labels: bool| {
        let file = DataFile { split: kind, is_labels };
        let path = dir.join(file.file_name());
        std::fs::read(&path).map_err(|e| DataError::Io {
            file: file.short_name(),
            reason: format!("cannot read {}: {e}", path.display()),
        })
    };
    let split = |kind| load_split_gz(kind, &read(kind, false)?, &read(kind, true)?);
    Ok(FashionMnist { train: split(SplitKind::Train)?, test: split(SplitKind::Test)? })
}
