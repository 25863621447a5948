//! The real Fashion-MNIST files, where they are installed (CI installs them).
//! Set `ATELIER_DATA_DIR` to point elsewhere; `ATELIER_REQUIRE_DATA=1` makes absence a failure.

mod common;

use atelier::data::{DataFile, NUM_CLASSES, decode_gzip, load_dir};
use sha2::{Digest, Sha256};

#[test]
fn real_data_has_published_counts_and_balanced_classes() {
    let Some(dir) = common::data_dir("skipping") else {
        return;
    };
    let data = load_dir(&dir).expect("real data parses");
    assert_eq!(data.train.len(), 60_000);
    assert_eq!(data.test.len(), 10_000);
    assert_eq!(data.train.class_counts(), [6_000; NUM_CLASSES]);
    assert_eq!(data.test.class_counts(), [1_000; NUM_CLASSES]);
    // The first test image is an ankle boot, the first train image too (label 9).
    assert_eq!(data.test.label(0), 9);
    assert_eq!(data.train.label(0), 9);
}

#[test]
fn real_data_matches_the_checksums_the_setup_script_verifies() {
    let Some(dir) = common::data_dir("skipping") else {
        return;
    };
    let sums = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/fashion-mnist.sha256"))
        .expect("checksum list");
    for file in DataFile::ALL {
        let gz = std::fs::read(dir.join(file.file_name())).unwrap();
        let raw = decode_gzip(file.file_name(), &gz).unwrap();
        let sum = format!("{:x}", Sha256::digest(&raw));
        let listed = sums
            .lines()
            .find(|l| l.ends_with(file.file_name().trim_end_matches(".gz")))
            .unwrap_or_else(|| panic!("{} not listed", file.file_name()));
        assert!(listed.starts_with(&sum), "{}: {sum} vs {listed}", file.file_name());
    }
}

#[test]
fn the_app_knows_each_files_size_and_checksum() {
    let sums = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/fashion-mnist.sha256")).unwrap();
    for file in DataFile::ALL {
        assert_eq!(file.sha256().len(), 64, "{}", file.file_name());
        assert!(sums.contains(file.sha256()));
    }
    assert_eq!(DataFile::ALL.map(DataFile::expected_bytes), [10_008, 7_840_016, 60_008, 47_040_016]);
    let Some(dir) = common::data_dir("skipping") else {
        return;
    };
    for file in DataFile::ALL {
        let raw = decode_gzip(file.file_name(), &std::fs::read(dir.join(file.file_name())).unwrap()).unwrap();
        assert_eq!(raw.len(), file.expected_bytes(), "{}", file.file_name());
        assert_eq!(format!("{:x}", Sha256::digest(&raw)), file.sha256());
    }
}
