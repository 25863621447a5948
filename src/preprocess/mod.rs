//! Turning any image into the 28×28 input the models expect: a light garment on black, centred,
//! its longer side filling the frame (how Fashion-MNIST itself was made from shop photos).
//!
//! One path serves every source the page has: an uploaded photo or PNG, a pasted image, and the
//! drawing canvas (dark ink on white). All are RGBA pixels as a canvas' `getImageData` gives them:
//!
//! 1. greyscale, transparent pixels composited over white (a cut-out PNG has a light background);
//! 2. the background is read from the image's border (its most common grey), and a light one is
//!    inverted so the garment becomes light on black;
//! 3. the background level plus its noise is subtracted and the contrast stretched, so a shoe
//!    photographed on a not-quite-white table comes out as a clean light shoe on black;
//! 4. the image is trimmed to the bounding box of its content, ignoring faint specks;
//! 5. the longer side is scaled to 28 (antialiased down, smooth up), and the result centred.
//!
//! Plain Rust, no Burn: it runs on the page (in the UI bundle) as well as natively.

mod frame;
mod levels;

use thiserror::Error;

use crate::data::PIXELS_PER_IMAGE;

/// Most pixels accepted, so a stray 100-megapixel file fails with a message instead of taking
/// the tab's memory (the page scales images down to ≤ 512 px first anyway).
pub const MAX_PIXELS: usize = 4096 * 4096;

/// Least contrast (of 255) between content and background below which the image counts as
/// blank: JPEG noise on an empty wall or a faint smudge is not a garment.
pub const MIN_CONTRAST: f32 = 24.0;

/// Content dimmer than this fraction of the brightest content does not extend the bounding box,
/// so JPEG artefacts, dust and soft shadows don't shrink the garment in the frame.
pub const NOISE_FRACTION: f32 = 0.1;

/// A borrowed RGBA8 image, row-major, 4 bytes per pixel (a canvas' `ImageData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RgbaImage<'a> {
    width: usize,
    height: usize,
    pixels: &'a [u8],
}

impl<'a> RgbaImage<'a> {
    /// Checks that `pixels` holds exactly `width × height` RGBA pixels.
    pub fn new(width: usize, height: usize, pixels: &'a [u8]) -> Result<Self, PreprocessError> {
        let expected = width.checked_mul(height).and_then(|n| n.checked_mul(4));
        if expected != Some(pixels.len()) {
            return Err(PreprocessError::SizeMismatch { width, height, bytes: pixels.len() });
        }
        Ok(Self { width, height, pixels })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn pixels(&self) -> &'a [u8] {
        self.pixels
    }
}

/// Why an image gives no model input, phrased for the person who sees it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PreprocessError {
    /// Blank, uniform or too faint: the page shows no prediction.
    #[error("nothing to classify: the image is blank or has too little contrast")]
    Empty,
    #[error("the image is {width}×{height} pixels, too large to process (at most {max}); scale it down first", max = MAX_PIXELS)]
    TooLarge { width: usize, height: usize },
    #[error("{bytes} bytes of pixel data do not make a {width}×{height} RGBA image")]
    SizeMismatch { width: usize, height: usize, bytes: usize },
}

/// The 28×28 model input for `image`, row-major, light content on black; or why there is none.
pub fn preprocess(image: &RgbaImage) -> Result<[u8; PIXELS_PER_IMAGE], PreprocessError> {
    let (width, height) = (image.width, image.height);
    if width * height > MAX_PIXELS {
        return Err(PreprocessError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(PreprocessError::Empty);
    }
    let mut content = levels::greyscale(image.pixels);
    let brightest = levels::to_content(&mut content, width, height);
    if brightest < MIN_CONTRAST {
        return Err(PreprocessError::Empty);
    }
    let bounds = frame::bounding_box(&content, width, NOISE_FRACTION * brightest).ok_or(PreprocessError::Empty)?;
    frame::fit(&content, width, bounds).ok_or(PreprocessError::TooLarge { width, height })
}
