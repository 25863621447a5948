//! The user's picture as pixels: from the drawing canvas, or an uploaded file decoded by the
//! browser (any format it knows) and scaled down so that preprocessing stays fast.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, File, HtmlCanvasElement, ImageBitmap};

/// Longest side handed to preprocessing: plenty for a 28×28 result, cheap for a 48 MP photo.
pub const MAX_SIDE: u32 = 512;

/// RGBA pixels, row-major, and when the input that produced them happened.
#[derive(Clone, Debug, PartialEq)]
pub struct InputImage {
    pub width: u32,
    pub height: u32,
    pub rgba: Rc<Vec<u8>>,
    /// [`now_ms`] of the input event (pointer move, file drop) that produced them.
    pub input_at: f64,
}

/// `performance.now()` on the page.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// A decoded upload: the bitmap (to show) and its pixels at most [`MAX_SIDE`] wide or high.
pub struct Decoded {
    pub bitmap: ImageBitmap,
    pub image: InputImage,
}

/// Decodes `file` with the browser's own decoders; a message for the page when it cannot.
pub async fn decode(file: &File, input_at: f64) -> Result<Decoded, String> {
    let name = file.name();
    if file.size() == 0.0 {
        return Err(format!("“{name}” is empty (0 bytes)."));
    }
    let kind = file.type_();
    if !kind.is_empty() && !kind.starts_with("image/") {
        return Err(format!("“{name}” is not an image ({kind}). Choose a PNG, JPEG, WebP, GIF or BMP file."));
    }
    let window = web_sys::window().ok_or("no window")?;
    let unreadable = || {
        format!("“{name}” could not be read as an image: it may be damaged, or in a format this browser cannot decode.")
    };
    let promise = window.create_image_bitmap_with_blob(file).map_err(|_| unreadable())?;
    let bitmap: ImageBitmap = JsFuture::from(promise).await.map_err(|_| unreadable())?.unchecked_into();
    let (width, height) = (bitmap.width(), bitmap.height());
    if width == 0 || height == 0 {
        return Err(unreadable());
    }
    let scale = (MAX_SIDE as f64 / width.max(height) as f64).min(1.0);
    let (w, h) = (((width as f64 * scale).round() as u32).max(1), ((height as f64 * scale).round() as u32).max(1));
    let image =
        pixels(&bitmap, w, h, input_at).ok_or_else(|| format!("“{name}” is too large for this browser to process."))?;
    Ok(Decoded { bitmap, image })
}

/// The bitmap drawn at `w`×`h` on a scratch canvas, read back as RGBA.
fn pixels(bitmap: &ImageBitmap, w: u32, h: u32, input_at: f64) -> Option<InputImage> {
    let document = web_sys::window()?.document()?;
    let canvas: HtmlCanvasElement = document.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    // Small images (a 28×28 test image) stay crisp; large ones are averaged down by the browser.
    ctx.set_image_smoothing_enabled(w < bitmap.width());
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(bitmap, 0.0, 0.0, w as f64, h as f64).ok()?;
    let data = ctx.get_image_data(0.0, 0.0, w as f64, h as f64).ok()?;
    Some(InputImage { width: w, height: h, rgba: Rc::new(data.data().0), input_at })
}
