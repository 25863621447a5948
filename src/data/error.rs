use thiserror::Error;

/// Everything that can be wrong with a data file, phrased for the person who sees it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DataError {
    #[error("{file}: the file is empty")]
    Empty { file: String },
    #[error("{file}: not a valid gzip file ({reason})")]
    Gzip { file: String, reason: String },
    #[error("{file}: the file is truncated: the header needs {needed} bytes, file holds {actual}")]
    TruncatedHeader { file: String, needed: usize, actual: usize },
    #[error("{file}: not an IDX {kind} file (magic number {found}, expected {expected})")]
    WrongMagic { file: String, kind: &'static str, found: u32, expected: u32 },
    #[error("{file}: images are {rows}×{cols}, expected 28×28")]
    WrongDimensions { file: String, rows: u32, cols: u32 },
    #[error("{file}: expected {expected} {unit}, file holds {actual}")]
    WrongCount { file: String, unit: &'static str, expected: usize, actual: usize },
    #[error(
        "{file}: the file is truncated or padded: the header promises {expected} bytes of data, file holds {actual}"
    )]
    WrongLength { file: String, expected: usize, actual: usize },
    #[error("{file}: label {label} at position {index} is not a class (0–9)")]
    BadLabel { file: String, index: usize, label: u8 },
    #[error("{split}: {images} images but {labels} labels")]
    CountMismatch { split: String, images: usize, labels: usize },
    #[error("{file}: {reason}")]
    Io { file: String, reason: String },
    #[error("{file}: the server answered {status} for {url}")]
    Http { file: String, url: String, status: String },
    #[error("{file}: more than {limit} bytes, larger than the Fashion-MNIST file; not loaded")]
    TooLarge { file: String, limit: usize },
    #[error("{file}: the download failed ({reason}); check the connection and retry")]
    Network { file: String, reason: String },
}
