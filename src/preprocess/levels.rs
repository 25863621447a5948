//! From RGBA to "content": how far each pixel stands out from the background, light on black.
//!
//! Fashion-MNIST garments are light on an exactly black background. Photos and drawings are
//! usually the opposite (dark on light), and their background is never exactly one value:
//! paper is grey-ish, tables have texture, JPEG adds noise. So the background is measured on
//! the border, where the garment rarely is, and everything up to its noise level becomes 0.

/// Rec. 601 luma weights, as in PIL's "L" mode and most greyscale conversions.
const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

/// Pixels further than this many median absolute deviations beyond the background level count
/// as content; nearer, as background noise. Three MADs is about two standard deviations
/// of Gaussian noise, and zero for a clean background.
const NOISE_MADS: f32 = 3.0;

/// The border's histogram, in which the background is the tallest bin and its neighbours.
const BINS: usize = 16;
const BIN_WIDTH: f32 = 256.0 / BINS as f32;

/// Greyscale in [0, 255], one value per pixel, transparent pixels composited over white.
pub(super) fn greyscale(rgba: &[u8]) -> Vec<f32> {
    rgba.chunks_exact(4)
        .map(|pixel| {
            let luma = LUMA[0] * f32::from(pixel[0]) + LUMA[1] * f32::from(pixel[1]) + LUMA[2] * f32::from(pixel[2]);
            let alpha = f32::from(pixel[3]) / 255.0;
            luma * alpha + 255.0 * (1.0 - alpha)
        })
        .collect()
}

/// The background as its border shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Background {
    /// Median grey of the border pixels in and next to the histogram's tallest bin.
    pub level: f32,
    /// Median absolute deviation of those pixels from `level`.
    pub spread: f32,
}

impl Background {
    /// Reads the background of a `width × height` greyscale image from its outermost pixels:
    /// the most common grey there, give or take a bin. The mode, not the median, because
    /// garments often cover more than half of the border (Fashion-MNIST's own pullovers do), and
    /// a textured garment spreads over many greys where the background keeps to a few.
    pub fn of(grey: &[f32], width: usize, height: usize) -> Self {
        let border = border_pixels(grey, width, height);
        let bin = |v: f32| ((v / BIN_WIDTH) as usize).min(BINS - 1);
        let mut histogram = [0usize; BINS];
        border.iter().for_each(|&v| histogram[bin(v)] += 1);
        let modal = (0..BINS).fold(0, |best, b| if histogram[b] > histogram[best] { b } else { best });
        let mut near: Vec<f32> = border.into_iter().filter(|&v| bin(v).abs_diff(modal) <= 1).collect();
        let level = median(&mut near);
        let mut deviations: Vec<f32> = near.iter().map(|v| (v - level).abs()).collect();
        Self { level, spread: median(&mut deviations) }
    }

    /// Light backgrounds (paper, a white table, a transparent PNG) hold dark garments.
    pub fn is_light(&self) -> bool {
        self.level > 127.5
    }
}

/// Turns a greyscale image into content in place: inverted when the background is light, then
/// the background level and its noise subtracted, clamped at 0. Returns the brightest content.
pub(super) fn to_content(grey: &mut [f32], width: usize, height: usize) -> f32 {
    let mut background = Background::of(grey, width, height);
    if background.is_light() {
        grey.iter_mut().for_each(|v| *v = 255.0 - *v);
        background.level = 255.0 - background.level;
    }
    let black = background.level + NOISE_MADS * background.spread;
    let mut brightest = 0f32;
    for v in grey.iter_mut() {
        *v = (*v - black).max(0.0);
        brightest = brightest.max(*v);
    }
    brightest
}

/// The outermost rows and columns of a `width × height` image, each pixel once.
fn border_pixels(grey: &[f32], width: usize, height: usize) -> Vec<f32> {
    if width <= 2 || height <= 2 {
        return grey.to_vec(); // every pixel is on the border
    }
    let mut border = Vec::with_capacity(2 * (width + height));
    border.extend_from_slice(&grey[..width]);
    border.extend_from_slice(&grey[(height - 1) * width..]);
    for row in 1..height - 1 {
        border.push(grey[row * width]);
        border.push(grey[row * width + width - 1]);
    }
    border
}

/// The median of `values` (reordered), or 0 for none; the upper one of an even count.
fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f32::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparent_pixels_are_white_and_opaque_ones_keep_their_grey() {
        let grey = greyscale(&[0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 255]);
        assert_eq!(grey[0], 255.0);
        assert_eq!(grey[1], 0.0);
        assert!((grey[2] - 0.299 * 255.0).abs() < 1e-3);
    }

    #[test]
    fn border_visits_each_outer_pixel_once() {
        let grey: Vec<f32> = (0..20).map(|v| v as f32).collect(); // 5 wide, 4 high
        let mut border = border_pixels(&grey, 5, 4);
        border.sort_by(f32::total_cmp);
        assert_eq!(border, [0., 1., 2., 3., 4., 5., 9., 10., 14., 15., 16., 17., 18., 19.]);
    }

    #[test]
    fn a_garment_on_part_of_the_border_does_not_move_the_background() {
        let mut grey = vec![200.0; 10 * 10];
        grey[..10].fill(30.0); // a dark sleeve along the whole top edge
        let background = Background::of(&grey, 10, 10);
        assert_eq!(background, Background { level: 200.0, spread: 0.0 });
        assert!(background.is_light());
    }

    #[test]
    fn a_textured_garment_on_most_of_the_border_does_not_either() {
        // 36 border pixels: 14 of black background, 22 of garment in many different greys.
        let mut grey = vec![0.0; 10 * 10];
        for (i, pixel) in (0..10).chain(90..100).enumerate() {
            grey[pixel] = 60.0 + 9.0 * i as f32;
        }
        grey[10] = 77.0;
        grey[19] = 250.0;
        let background = Background::of(&grey, 10, 10);
        assert_eq!(background, Background { level: 0.0, spread: 0.0 });
        assert!(!background.is_light());
    }
}
