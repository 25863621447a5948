use std::fmt;

const SUMS: &str = include_str!("../../static/fashion-mnist.sha256");

/// Which half of the dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SplitKind {
    Train,
    Test,
}

impl SplitKind {
    /// How many examples the published dataset has in this split.
    pub const fn expected_count(self) -> usize {
        match self {
            SplitKind::Train => 60_000,
            SplitKind::Test => 10_000,
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            SplitKind::Train => "train",
            SplitKind::Test => "test",
        }
    }
}

impl fmt::Display for SplitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One of the four published files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DataFile {
    pub split: SplitKind,
    pub is_labels: bool,
}

impl DataFile {
    /// Download order: the test set first, so the gallery can appear early.
    pub const ALL: [DataFile; 4] = [
        DataFile { split: SplitKind::Test, is_labels: true },
        DataFile { split: SplitKind::Test, is_labels: false },
        DataFile { split: SplitKind::Train, is_labels: true },
        DataFile { split: SplitKind::Train, is_labels: false },
    ];

    pub const fn file_name(self) -> &'static str {
        match (self.split, self.is_labels) {
            (SplitKind::Train, false) => "train-images-idx3-ubyte.gz",
            (SplitKind::Train, true) => "train-labels-idx1-ubyte.gz",
            (SplitKind::Test, false) => "t10k-images-idx3-ubyte.gz",
            (SplitKind::Test, true) => "t10k-labels-idx1-ubyte.gz",
        }
    }

    /// The decompressed size of the published file: an IDX header and one byte per label or
    /// pixel. Nothing larger can be Fashion-MNIST, so downloads and decompression stop there
    /// (a gzip bomb never fills the tab's memory).
    pub const fn expected_bytes(self) -> usize {
        let count = self.split.expected_count();
        if self.is_labels { 8 + count } else { 16 + count * 28 * 28 }
    }

    /// The SHA-256 of the published (decompressed) file, as `static/fashion-mnist.sha256`
    /// lists it: the setup script and the page check the same sums.
    pub fn sha256(self) -> &'static str {
        let name = self.file_name().trim_end_matches(".gz");
        SUMS.lines()
            .find_map(|line| line.split_once("  ").filter(|(_, listed)| *listed == name).map(|(sum, _)| sum))
            .unwrap_or_default()
    }

    /// A short name for messages, e.g. "train-labels".
    pub fn short_name(self) -> String {
        let kind = if self.is_labels { "labels" } else { "images" };
        format!("{}-{kind}", self.split)
    }
}

/// How far one file's download has come; `total` is `None` when the server sends no length.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FileProgress {
    pub loaded: f64,
    pub total: Option<f64>,
    pub done: bool,
    pub cached: bool,
}
