//! The IDX format: a big-endian header (magic, dimensions) followed by raw `u8` data.

use super::{DataError, NUM_CLASSES};

pub const IMAGE_SIDE: usize = 28;
pub const PIXELS_PER_IMAGE: usize = IMAGE_SIDE * IMAGE_SIDE;

const IMAGES_MAGIC: u32 = 2051;
const LABELS_MAGIC: u32 = 2049;
const IMAGES_HEADER: usize = 16;
const LABELS_HEADER: usize = 8;

/// Checks an `idx3-ubyte` image file and returns the pixel bytes, `count × 28 × 28`.
///
/// `expected` is the number of images the caller needs (`None` accepts any count).
pub fn parse_images<'a>(file: &str, raw: &'a [u8], expected: Option<usize>) -> Result<&'a [u8], DataError> {
    let header = header(file, raw, IMAGES_HEADER, IMAGES_MAGIC, "images")?;
    let (count, rows, cols) = (header[1] as usize, header[2], header[3]);
    if rows as usize != IMAGE_SIDE || cols as usize != IMAGE_SIDE {
        return Err(DataError::WrongDimensions { file: file.into(), rows, cols });
    }
    check_count(file, "images", count, expected)?;
    body(file, raw, IMAGES_HEADER, count * PIXELS_PER_IMAGE)
}

/// Checks an `idx1-ubyte` label file and returns the labels, each a class index 0–9.
pub fn parse_labels<'a>(file: &str, raw: &'a [u8], expected: Option<usize>) -> Result<&'a [u8], DataError> {
    let header = header(file, raw, LABELS_HEADER, LABELS_MAGIC, "labels")?;
    let count = header[1] as usize;
    check_count(file, "labels", count, expected)?;
    let labels = body(file, raw, LABELS_HEADER, count)?;
    if let Some(index) = labels.iter().position(|&l| l as usize >= NUM_CLASSES) {
        return Err(DataError::BadLabel { file: file.into(), index, label: labels[index] });
    }
    Ok(labels)
}

/// Reads the big-endian `u32` words of the header after checking size and magic number.
fn header(file: &str, raw: &[u8], size: usize, magic: u32, kind: &'static str) -> Result<Vec<u32>, DataError> {
    if raw.is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    if raw.len() < size {
        return Err(DataError::TruncatedHeader { file: file.into(), needed: size, actual: raw.len() });
    }
    let words: Vec<u32> = raw[..size].chunks_exact(4).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]])).collect();
    if words[0] != magic {
        return Err(DataError::WrongMagic { file: file.into(), kind, found: words[0], expected: magic });
    }
    Ok(words)
}

fn check_count(file: &str, unit: &'static str, count: usize, expected: Option<usize>) -> Result<(), DataError> {
    match expected {
        Some(expected) if expected != count => {
            Err(DataError::WrongCount { file: file.into(), unit, expected, actual: count })
        }
        _ => Ok(()),
    }
}

fn body<'a>(file: &str, raw: &'a [u8], header: usize, len: usize) -> Result<&'a [u8], DataError> {
    let data = &raw[header..];
    if data.len() != len {
        return Err(DataError::WrongLength { file: file.into(), expected: len, actual: data.len() });
    }
    Ok(data)
}
