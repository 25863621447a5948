use super::{DataError, DataFile, PIXELS_PER_IMAGE, SplitKind, parse_images, parse_labels};

/// One split of the dataset: images as `u8` pixels (row-major, 28×28 each) and their labels.
#[derive(Clone, PartialEq, Eq)]
pub struct Split {
    pub kind: SplitKind,
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

impl std::fmt::Debug for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Split({}, {} images)", self.kind, self.len())
    }
}

impl Split {
    /// Validates the decompressed IDX files of a split against the published sizes.
    pub fn from_idx(kind: SplitKind, images: &[u8], labels: &[u8]) -> Result<Self, DataError> {
        Self::from_idx_with_count(kind, images, labels, Some(kind.expected_count()))
    }

    /// As [`Split::from_idx`], with any (or no) expected count: for subsets and fixtures.
    pub fn from_idx_with_count(
        kind: SplitKind,
        images: &[u8],
        labels: &[u8],
        expected: Option<usize>,
    ) -> Result<Self, DataError> {
        let (pixels, labels) = check(kind, images, labels, expected)?;
        Ok(Self { kind, pixels: pixels.to_vec(), labels: labels.to_vec() })
    }

    /// As [`Split::from_idx`], taking ownership of the image file so its pixels are not copied
    /// (the browser keeps 47 MB less at its peak for the train set).
    pub fn from_idx_owned(kind: SplitKind, mut images: Vec<u8>, labels: &[u8]) -> Result<Self, DataError> {
        let (pixels, labels) = check(kind, &images, labels, Some(kind.expected_count()))?;
        let (header, labels) = (images.len() - pixels.len(), labels.to_vec());
        images.drain(..header);
        Ok(Self { kind, pixels: images, labels })
    }

    /// Builds a split from already-checked parts (e.g. a subset made by a test).
    pub fn from_parts(kind: SplitKind, pixels: Vec<u8>, labels: Vec<u8>) -> Self {
        assert_eq!(pixels.len(), labels.len() * PIXELS_PER_IMAGE, "pixels and labels disagree");
        Self { kind, pixels, labels }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The 784 pixels of image `index`.
    pub fn image(&self, index: usize) -> &[u8] {
        &self.pixels[index * PIXELS_PER_IMAGE..(index + 1) * PIXELS_PER_IMAGE]
    }

    pub fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Images per class, indexed by label.
    pub fn class_counts(&self) -> [usize; super::NUM_CLASSES] {
        let mut counts = [0; super::NUM_CLASSES];
        for &label in &self.labels {
            counts[label as usize] += 1;
        }
        counts
    }

    /// Indices of the images of one class (all images when `class` is `None`), in order.
    pub fn indices_of(&self, class: Option<u8>) -> Vec<u32> {
        (0..self.len() as u32).filter(|&i| class.is_none_or(|c| self.labels[i as usize] == c)).collect()
    }
}

/// Parses both files of a split and checks that they agree; returns pixels and labels.
fn check<'a>(
    kind: SplitKind,
    images: &'a [u8],
    labels: &'a [u8],
    expected: Option<usize>,
) -> Result<(&'a [u8], &'a [u8]), DataError> {
    let images_file = DataFile { split: kind, is_labels: false }.short_name();
    let labels_file = DataFile { split: kind, is_labels: true }.short_name();
    let labels = parse_labels(&labels_file, labels, expected)?;
    let pixels = parse_images(&images_file, images, expected)?;
    let images = pixels.len() / PIXELS_PER_IMAGE;
    if images != labels.len() {
        return Err(DataError::CountMismatch { split: kind.to_string(), images, labels: labels.len() });
    }
    Ok((pixels, labels))
}
