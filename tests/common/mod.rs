//! Shared by the native tests: where the real Fashion-MNIST files are, and synthetic images
//! for when they are not (each test binary uses only some of this).
#![allow(dead_code)]

use std::path::PathBuf;

use atelier::data::{DataFile, Split, SplitKind, load_split_gz};
#[cfg(feature = "engine")]
use atelier::data::{PIXELS_PER_IMAGE, load_dir};
#[cfg(feature = "engine")]
use atelier::training::{SplitMix64, TrainingData};

/// The folder holding the four files: `ATELIER_DATA_DIR`, else where Debian's
/// `dataset-fashion-mnist` puts them. `None` (saying `instead` on stderr) when a file is
/// missing, unless `ATELIER_REQUIRE_DATA` is set (CI sets it): then absence fails the test.
pub fn data_dir(instead: &str) -> Option<PathBuf> {
    let dir = std::env::var("ATELIER_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/usr/share/datasets/fashion-mnist"));
    if DataFile::ALL.iter().all(|file| dir.join(file.file_name()).exists()) {
        return Some(dir);
    }
    assert!(
        std::env::var("ATELIER_REQUIRE_DATA").is_err(),
        "ATELIER_REQUIRE_DATA is set but the Fashion-MNIST files are not all in {}",
        dir.display()
    );
    eprintln!("no Fashion-MNIST files in {}: {instead}", dir.display());
    None
}

/// The real test split, or `None` (the test skips) where the files are absent.
pub fn real_test_split() -> Option<Split> {
    let dir = data_dir("skipping")?;
    let read = |is_labels| std::fs::read(dir.join(DataFile { split: SplitKind::Test, is_labels }.file_name()));
    let (images, labels) = (read(false).expect("test images"), read(true).expect("test labels"));
    Some(load_split_gz(SplitKind::Test, &images, &labels).expect("the real test set parses"))
}

#[cfg(feature = "engine")]
/// The real train split and the first `test_images` test images; noise images of the same
/// kind (`synthetic_train` of them) where the files are absent. The flag says which.
pub fn training_data(test_images: usize, synthetic_train: usize) -> (TrainingData, bool) {
    let Some(dir) = data_dir("using synthetic images") else {
        let data = TrainingData::new(
            synthetic(SplitKind::Train, synthetic_train, 1),
            Some(synthetic(SplitKind::Test, test_images, 2)),
        );
        return (data, false);
    };
    let data = load_dir(&dir).expect("the real data parses");
    let test = Split::from_parts(
        SplitKind::Test,
        data.test.pixels()[..test_images * PIXELS_PER_IMAGE].to_vec(),
        data.test.labels()[..test_images].to_vec(),
    );
    (TrainingData::new(data.train, Some(test)), true)
}

#[cfg(feature = "engine")]
/// Noise images whose class is a brighter horizontal band: quick to learn, no files needed.
pub fn synthetic(kind: SplitKind, count: usize, seed: u64) -> Split {
    let mut rng = SplitMix64::new(seed);
    let labels: Vec<u8> = (0..count).map(|_| rng.below(10) as u8).collect();
    let mut pixels = Vec::with_capacity(count * PIXELS_PER_IMAGE);
    for &label in &labels {
        for i in 0..PIXELS_PER_IMAGE {
            let band = (i / 28) / 3 == label as usize;
            pixels.push(rng.below(100) as u8 + if band { 120 } else { 0 });
        }
    }
    Split::from_parts(kind, pixels, labels)
}
