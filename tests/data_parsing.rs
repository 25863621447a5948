//! The IDX parser on fixture files written by the tests themselves.

use atelier::data::{DataError, PIXELS_PER_IMAGE, Split, SplitKind, decode_gzip, load_split_gz};
use flate2::{Compression, write::GzEncoder};
use std::io::Write;

fn idx_images(count: u32, rows: u32, cols: u32, pixels: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for word in [2051, count, rows, cols] {
        out.extend_from_slice(&u32::to_be_bytes(word));
    }
    out.extend((0..pixels).map(|i| (i % 251) as u8));
    out
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&2049u32.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(raw).unwrap();
    enc.finish().unwrap()
}

fn parse(images: &[u8], labels: &[u8]) -> Result<Split, DataError> {
    Split::from_idx_with_count(SplitKind::Test, images, labels, Some(3))
}

#[test]
fn valid_files_parse_with_pixels_and_labels_intact() {
    let images = idx_images(3, 28, 28, 3 * PIXELS_PER_IMAGE);
    let split = parse(&images, &idx_labels(&[9, 0, 4])).unwrap();
    assert_eq!(split.len(), 3);
    assert_eq!(split.labels(), &[9, 0, 4]);
    assert_eq!(split.image(1), &images[16 + PIXELS_PER_IMAGE..16 + 2 * PIXELS_PER_IMAGE]);
    assert_eq!(split.class_counts()[4], 1);
    assert_eq!(split.indices_of(Some(0)), vec![1]);
    assert_eq!(split.indices_of(None), vec![0, 1, 2]);
}

#[test]
fn valid_gzip_round_trip() {
    let images = idx_images(3, 28, 28, 3 * PIXELS_PER_IMAGE);
    let labels = idx_labels(&[1, 2, 3]);
    assert_eq!(decode_gzip("x", &gzip(&images)).unwrap(), images);
    // Full-size check is for the real data; a fixture of the wrong size must be refused.
    let err = load_split_gz(SplitKind::Test, &gzip(&images), &gzip(&labels)).unwrap_err();
    assert_eq!(err.to_string(), "test-labels: expected 10000 labels, file holds 3");
}

#[test]
fn wrong_magic_is_refused() {
    let mut images = idx_images(3, 28, 28, 3 * PIXELS_PER_IMAGE);
    images[3] = 0x01; // 2049: a label file's magic number
    let err = parse(&images, &idx_labels(&[0, 1, 2])).unwrap_err();
    assert!(matches!(err, DataError::WrongMagic { found: 2049, expected: 2051, .. }), "{err}");
    assert!(err.to_string().contains("not an IDX images file"), "{err}");

    let image_file = idx_images(3, 28, 28, 3 * PIXELS_PER_IMAGE);
    let err = parse(&image_file, &image_file).unwrap_err();
    assert!(matches!(err, DataError::WrongMagic { expected: 2049, .. }), "{err}");
}

#[test]
fn truncated_files_are_refused() {
    let images = idx_images(3, 28, 28, 3 * PIXELS_PER_IMAGE);
    let labels = idx_labels(&[0, 1, 2]);
    let err = parse(&images[..images.len() - 100], &labels).unwrap_err();
    assert_eq!(
        err.to_string(),
        "test-images: the file is truncated or padded: the header promises 2352 bytes of data, file holds 2252"
    );
    let err = parse(&images[..10], &labels).unwrap_err();
    assert!(matches!(err, DataError::TruncatedHeader { needed: 16, actual: 10, .. }), "{err}");
    let err = parse(&images, &[]).unwrap_err();
    assert_eq!(err.to_string(), "test-labels: the file is empty");
    let gz = gzip(&images);
    let err = decode_gzip("test-images", &gz[..gz.len() / 2]).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err}");
    let err = decode_gzip("test-images", b"this is not gzip").unwrap_err();
    assert!(err.to_string().starts_with("test-images: not a valid gzip file"), "{err}");
}

#[test]
fn count_mismatches_are_refused() {
    let images = idx_images(3, 28, 28, 3 * PIXELS_PER_IMAGE);
    let err = parse(&images, &idx_labels(&[0, 1])).unwrap_err();
    assert_eq!(err.to_string(), "test-labels: expected 3 labels, file holds 2");
    let err = Split::from_idx_with_count(SplitKind::Train, &images, &idx_labels(&[0, 1]), None).unwrap_err();
    assert_eq!(err.to_string(), "train: 3 images but 2 labels");
    let err = parse(&idx_images(3, 28, 27, 3 * 28 * 27), &idx_labels(&[0, 1, 2])).unwrap_err();
    assert_eq!(err.to_string(), "test-images: images are 28×27, expected 28×28");
}

#[test]
fn label_ten_is_refused() {
    let images = idx_images(3, 28, 28, 3 * PIXELS_PER_IMAGE);
    let err = parse(&images, &idx_labels(&[0, 10, 2])).unwrap_err();
    assert_eq!(err, DataError::BadLabel { file: "test-labels".into(), index: 1, label: 10 });
    assert_eq!(err.to_string(), "test-labels: label 10 at position 1 is not a class (0–9)");
}
