//! Turning `u8` images into device tensors, one batch at a time.
//!
//! The whole train set as f32 would be 188 MB on the device (and in a browser, in GPU memory and
//! again in JS heap); a batch of 64 is 200 kB. So indices travel, pixels are converted late.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::SplitMix64;
use crate::data::{IMAGE_SIDE, PIXELS_PER_IMAGE, Split};

/// Mean and standard deviation of the Fashion-MNIST train pixels, scaled to [0, 1].
pub const PIXEL_MEAN: f32 = 0.2860;
pub const PIXEL_STD: f32 = 0.3530;

/// How `u8` pixels become model inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Normalization {
    /// `x / 255`, in [0, 1]: what the lessons show first.
    Unit,
    /// `(x / 255 − mean) / std`: centred inputs, which lets SGD and Adam take larger steps.
    #[default]
    Standard,
}

impl Normalization {
    /// Precomputed for all 256 pixel values, so conversion is one table look-up per pixel.
    fn table(self) -> [f32; 256] {
        std::array::from_fn(|value| {
            let unit = value as f32 / 255.0;
            match self {
                Self::Unit => unit,
                Self::Standard => (unit - PIXEL_MEAN) / PIXEL_STD,
            }
        })
    }
}

/// Largest random shift, in pixels, of the augmentation.
pub const MAX_SHIFT: i32 = 2;

/// Images `[batch, 1, 28, 28]` and their labels `[batch]`.
#[derive(Debug, Clone)]
pub struct Batch {
    pub images: Tensor<4>,
    pub targets: Tensor<1, Int>,
}

/// Builds batches from a [`Split`] and a list of image indices.
#[derive(Debug, Clone)]
pub struct Batcher {
    table: [f32; 256],
}

impl Batcher {
    pub fn new(normalization: Normalization) -> Self {
        Self { table: normalization.table() }
    }

    /// The normalised pixels of `indices`, row-major `[batch, 784]`. With an RNG each image is
    /// shifted by up to ±[`MAX_SHIFT`] pixels in both directions, the uncovered border filled
    /// with background (pixel value 0).
    pub fn pixels(&self, split: &Split, indices: &[u32], augment: Option<&mut SplitMix64>) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * PIXELS_PER_IMAGE);
        match augment {
            None => {
                for &index in indices {
                    out.extend(split.image(index as usize).iter().map(|&p| self.table[p as usize]));
                }
            }
            Some(rng) => {
                let span = (2 * MAX_SHIFT + 1) as usize;
                for &index in indices {
                    let dx = rng.below(span) as i32 - MAX_SHIFT;
                    let dy = rng.below(span) as i32 - MAX_SHIFT;
                    self.push_shifted(&mut out, split.image(index as usize), dx, dy);
                }
            }
        }
        out
    }

    /// Output pixel (x, y) takes input pixel (x − dx, y − dy).
    fn push_shifted(&self, out: &mut Vec<f32>, image: &[u8], dx: i32, dy: i32) {
        let side = IMAGE_SIDE as i32;
        let background = self.table[0];
        for y in 0..side {
            let src_y = y - dy;
            for x in 0..side {
                let src_x = x - dx;
                let inside = (0..side).contains(&src_x) && (0..side).contains(&src_y);
                out.push(if inside { self.table[image[(src_y * side + src_x) as usize] as usize] } else { background });
            }
        }
    }

    /// The batch of `indices` on `device`.
    pub fn batch(&self, split: &Split, indices: &[u32], augment: Option<&mut SplitMix64>, device: &Device) -> Batch {
        let batch = indices.len();
        let pixels = self.pixels(split, indices, augment);
        let images = Tensor::from_data(TensorData::new(pixels, [batch, 1, IMAGE_SIDE, IMAGE_SIDE]), device);
        let labels: Vec<i64> = indices.iter().map(|&i| split.label(i as usize) as i64).collect();
        let targets = Tensor::from_data(TensorData::new(labels, [batch]), device);
        Batch { images, targets }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SplitKind;

    fn one_pixel_split() -> Split {
        let mut pixels = vec![0u8; PIXELS_PER_IMAGE];
        pixels[10 * IMAGE_SIDE + 10] = 255;
        Split::from_parts(SplitKind::Train, pixels, vec![3])
    }

    #[test]
    fn unit_normalisation_maps_to_zero_one() {
        let pixels = Batcher::new(Normalization::Unit).pixels(&one_pixel_split(), &[0], None);
        assert_eq!(pixels.len(), PIXELS_PER_IMAGE);
        assert_eq!(pixels[10 * IMAGE_SIDE + 10], 1.0);
        assert_eq!(pixels.iter().filter(|&&p| p == 0.0).count(), PIXELS_PER_IMAGE - 1);
    }

    #[test]
    fn shift_moves_the_pixel_and_keeps_the_background() {
        let batcher = Batcher::new(Normalization::Unit);
        let mut out = Vec::new();
        batcher.push_shifted(&mut out, one_pixel_split().image(0), 2, -1);
        assert_eq!(out[9 * IMAGE_SIDE + 12], 1.0);
        assert_eq!(out.iter().sum::<f32>(), 1.0);
    }

    #[test]
    fn augmentation_shifts_at_most_two_pixels() {
        let batcher = Batcher::new(Normalization::Unit);
        let mut rng = SplitMix64::new(5);
        for _ in 0..50 {
            let pixels = batcher.pixels(&one_pixel_split(), &[0], Some(&mut rng));
            let at = pixels.iter().position(|&p| p == 1.0).unwrap();
            let (y, x) = (at / IMAGE_SIDE, at % IMAGE_SIDE);
            assert!(y.abs_diff(10) <= 2 && x.abs_diff(10) <= 2);
        }
    }
}
