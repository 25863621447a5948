//! Framing the content: trim to it, scale its longer side to 28, centre it, full contrast.

use resize::px::Gray;
use resize::{Pixel, Type};

use crate::data::{IMAGE_SIDE, PIXELS_PER_IMAGE};

/// A rectangle of pixels, in the source image's coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounds {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

/// The smallest rectangle holding every pixel of `content` (row-major, `width` wide) that is at
/// least `threshold` and above 0; `None` when there is none.
pub(super) fn bounding_box(content: &[f32], width: usize, threshold: f32) -> Option<Bounds> {
    let (mut left, mut top, mut right, mut bottom) = (usize::MAX, usize::MAX, 0, 0);
    let strong = |v: &f32| *v > 0.0 && *v >= threshold;
    for (row, pixels) in content.chunks_exact(width).enumerate() {
        if let (Some(first), Some(last)) = (pixels.iter().position(strong), pixels.iter().rposition(strong)) {
            left = left.min(first);
            right = right.max(last);
            top = top.min(row);
            bottom = row;
        }
    }
    (top != usize::MAX).then(|| Bounds { x: left, y: top, width: right - left + 1, height: bottom - top + 1 })
}

/// The size content of `width × height` takes in the frame: the longer side 28, the aspect
/// ratio kept (rounded), never less than one pixel.
pub(super) fn fitted_size(width: usize, height: usize) -> (usize, usize) {
    let longer = width.max(height).max(1);
    let scale = |side: usize| ((side * IMAGE_SIDE + longer / 2) / longer).clamp(1, IMAGE_SIDE);
    (scale(width), scale(height))
}

/// The `bounds` of `content` (row-major, `width` wide) scaled into the 28×28 frame, centred on
/// the bounding box's centre, and stretched so the brightest pixel is 255. `None` only when the
/// resampler cannot allocate.
pub(super) fn fit(content: &[f32], width: usize, bounds: Bounds) -> Option<[u8; PIXELS_PER_IMAGE]> {
    let (fitted_width, fitted_height) = fitted_size(bounds.width, bounds.height);
    let scaled = resample(content, width, bounds, fitted_width, fitted_height)?;
    // Stretched after scaling, so a single bright speck averaged away doesn't set the gain.
    let brightest = scaled.iter().fold(0f32, |max, &v| max.max(v));
    let gain = if brightest > 0.0 { 255.0 / brightest } else { 0.0 };
    // An odd margin puts the extra pixel before the content, as Fashion-MNIST's own framing does.
    let left = (IMAGE_SIDE - fitted_width).div_ceil(2);
    let top = (IMAGE_SIDE - fitted_height).div_ceil(2);
    let mut frame = [0u8; PIXELS_PER_IMAGE];
    for (row, values) in scaled.chunks_exact(fitted_width).enumerate() {
        let start = (top + row) * IMAGE_SIDE + left;
        for (out, &v) in frame[start..start + fitted_width].iter_mut().zip(values) {
            *out = (v * gain).round().clamp(0.0, 255.0) as u8;
        }
    }
    Some(frame)
}

/// The `bounds` of `content` resampled to `out_width × out_height`, row-major.
///
/// A triangle filter, widened by the scale factor when shrinking: each output pixel averages
/// the source pixels it covers (no aliasing from a 500-px photo), and tiny drawings grow
/// smoothly (bilinear) instead of in blocks.
fn resample(content: &[f32], width: usize, bounds: Bounds, out_width: usize, out_height: usize) -> Option<Vec<f32>> {
    if (out_width, out_height) == (bounds.width, bounds.height) {
        return Some(crop(content, width, bounds).collect());
    }
    let source: Vec<Gray<f32>> = crop(content, width, bounds).map(Gray::new).collect();
    let mut scaled = vec![Gray::new(0f32); out_width * out_height];
    let mut resizer =
        resize::new(bounds.width, bounds.height, out_width, out_height, Pixel::GrayF32, Type::Triangle).ok()?;
    resizer.resize(&source, &mut scaled).ok()?;
    Some(scaled.into_iter().map(Gray::value).collect())
}

/// The pixels of `bounds`, row by row.
fn crop(content: &[f32], width: usize, bounds: Bounds) -> impl Iterator<Item = f32> + '_ {
    (bounds.y..bounds.y + bounds.height)
        .flat_map(move |row| content[row * width + bounds.x..row * width + bounds.x + bounds.width].iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_sizes_keep_the_aspect_ratio() {
        assert_eq!(fitted_size(200, 100), (28, 14));
        assert_eq!(fitted_size(3, 6), (14, 28));
        assert_eq!(fitted_size(1, 1000), (1, 28));
        assert_eq!(fitted_size(1, 1), (28, 28));
    }

    #[test]
    fn bounding_box_ignores_pixels_below_the_threshold() {
        let mut content = vec![0.0; 6 * 5];
        content[6 + 2] = 100.0;
        content[3 * 6 + 4] = 80.0;
        content[4 * 6 + 5] = 5.0; // a faint speck
        let bounds = bounding_box(&content, 6, 10.0).unwrap();
        assert_eq!(bounds, Bounds { x: 2, y: 1, width: 3, height: 3 });
        assert_eq!(bounding_box(&content, 6, 200.0), None);
    }
}
