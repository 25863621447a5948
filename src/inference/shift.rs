//! How much an answer depends on where the garment sits: a dense network learns each pixel's
//! place, a CNN slides the same filters everywhere. Accuracy on test images moved a few pixels
//! left, right, up and down (the border filled with the black background) is the figure that
//! shows it: the lesson's "why the CNN wins", measured, not written in.

use crate::data::{IMAGE_SIDE, PIXELS_PER_IMAGE, Split};

use super::{Classifier, top_class};

/// `image` moved by `(dx, dy)` pixels (right and down are positive); what comes in at the
/// border is background (0).
pub fn shifted(image: &[u8], dx: i32, dy: i32) -> [u8; PIXELS_PER_IMAGE] {
    let side = IMAGE_SIDE as i32;
    let mut out = [0u8; PIXELS_PER_IMAGE];
    for y in 0..side {
        for x in 0..side {
            let (from_x, from_y) = (x - dx, y - dy);
            if (0..side).contains(&from_x) && (0..side).contains(&from_y) {
                out[(y * side + x) as usize] = image[(from_y * side + from_x) as usize];
            }
        }
    }
    out
}

/// Accuracy on the first `images` of `split` moved by 0, 1, … `max_pixels` pixels, each distance
/// the mean of the four directions (left, right, up, down).
pub fn accuracy_under_shifts(classifier: &Classifier, split: &Split, images: usize, max_pixels: i32) -> Vec<f64> {
    let images = images.min(split.len());
    let score = |dx: i32, dy: i32| {
        let moved: Vec<[u8; PIXELS_PER_IMAGE]> = (0..images).map(|i| shifted(split.image(i), dx, dy)).collect();
        let probabilities = classifier.classify(&moved).read();
        let right = probabilities.iter().enumerate().filter(|(i, p)| top_class(p) == split.label(*i) as usize).count();
        right as f64 / images as f64
    };
    (0..=max_pixels)
        .map(|d| {
            if d == 0 {
                return score(0, 0);
            }
            [(d, 0), (-d, 0), (0, d), (0, -d)].into_iter().map(|(dx, dy)| score(dx, dy)).sum::<f64>() / 4.0
        })
        .collect()
}
