//! Charts and the confusion matrix as PNG files, for a teacher's slides: what the page shows,
//! with the title and legend the page draws in HTML beside a chart's canvas, on white.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlAnchorElement, HtmlCanvasElement};

use crate::data::{CLASS_NAMES, NUM_CLASSES};
use crate::metrics::ConfusionMatrix;

const INK: &str = "#1f2a44";
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', sans-serif";

/// A blank white canvas of `width` × `height` and its 2D context.
fn blank(width: u32, height: u32) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let canvas: HtmlCanvasElement = gloo::utils::document().create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(width);
    canvas.set_height(height);
    let context: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, width as f64, height as f64);
    Some((canvas, context))
}

/// Offers `canvas` as a PNG download named `name`.
pub fn download(canvas: &HtmlCanvasElement, name: &str) {
    let Ok(url) = canvas.to_data_url_with_type("image/png") else { return };
    if let Some(anchor) =
        gloo::utils::document().create_element("a").ok().and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok())
    {
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
    }
}

/// A chart's canvas under its title and legend (`(name, css colour)` per curve).
pub fn chart(title: &str, legend: &[(String, String)], chart: &HtmlCanvasElement) -> Option<HtmlCanvasElement> {
    let (width, height) = (chart.width().max(1), chart.height().max(1));
    // Text scaled with the canvas, which is drawn at device pixels.
    let unit = (width as f64 / 640.0).max(1.0);
    let head = (64.0 * unit) as u32;
    let (canvas, context) = blank(width, height + head)?;
    context.set_fill_style_str(INK);
    context.set_font(&format!("600 {}px {FONT}", (20.0 * unit).round()));
    let _ = context.fill_text(title, 12.0 * unit, 26.0 * unit);
    context.set_font(&format!("{}px {FONT}", (15.0 * unit).round()));
    let mut x = 12.0 * unit;
    for (name, color) in legend {
        context.set_fill_style_str(color);
        context.fill_rect(x, 42.0 * unit, 22.0 * unit, 5.0 * unit);
        context.set_fill_style_str(INK);
        let _ = context.fill_text(name, x + 28.0 * unit, 50.0 * unit);
        x += 28.0 * unit + context.measure_text(name).map(|m| m.width()).unwrap_or(60.0) + 18.0 * unit;
    }
    context.draw_image_with_html_canvas_element(chart, 0.0, head as f64).ok()?;
    Some(canvas)
}

/// The confusion matrix as the page draws it: counts, blue diagonal, red mistakes shaded by
/// their share of the true class (`shade`: the cell's colour and whether its text is white).
pub fn confusion(
    matrix: &ConfusionMatrix,
    title: &str,
    shade: impl Fn(usize, usize) -> (String, bool),
) -> Option<HtmlCanvasElement> {
    let (cell, left, top) = (72.0, 150.0, 120.0);
    let side = NUM_CLASSES as f64 * cell;
    let (canvas, context) = blank((left + side + 20.0) as u32, (top + side + 60.0) as u32)?;
    context.set_fill_style_str(INK);
    context.set_font(&format!("600 24px {FONT}"));
    let _ = context.fill_text(title, 20.0, 36.0);
    context.set_font(&format!("16px {FONT}"));
    let _ = context.fill_text("rows: true class · columns: predicted", 20.0, 64.0);
    context.set_font(&format!("14px {FONT}"));
    context.set_text_align("center");
    for (i, name) in CLASS_NAMES.iter().enumerate() {
        let _ = context.fill_text(name, left + (i as f64 + 0.5) * cell, top - 12.0);
    }
    context.set_text_align("right");
    for (i, name) in CLASS_NAMES.iter().enumerate() {
        let _ = context.fill_text(name, left - 10.0, top + (i as f64 + 0.58) * cell);
    }
    context.set_text_align("center");
    context.set_font(&format!("600 18px {FONT}"));
    for t in 0..NUM_CLASSES {
        for p in 0..NUM_CLASSES {
            let (x, y) = (left + p as f64 * cell, top + t as f64 * cell);
            let (color, dark) = shade(t, p);
            context.set_fill_style_str(&color);
            context.fill_rect(x + 1.0, y + 1.0, cell - 2.0, cell - 2.0);
            context.set_fill_style_str(if dark { "#ffffff" } else { "#000000" });
            let _ = context.fill_text(&matrix.count(t as u8, p as u8).to_string(), x + cell / 2.0, y + cell * 0.58);
        }
    }
    context.set_text_align("left");
    context.set_fill_style_str(INK);
    context.set_font(&format!("14px {FONT}"));
    let total = matrix.total();
    let count = if total >= 1000 { format!("{},{:03}", total / 1000, total % 1000) } else { total.to_string() };
    let _ = context.fill_text(&format!("{count} test images"), left, top + side + 36.0);
    Some(canvas)
}
