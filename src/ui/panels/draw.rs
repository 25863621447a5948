//! A drawing canvas for mouse, touch and pen (pointer events): round, smoothed strokes, brush
//! sizes, an eraser, undo and clear, with keyboard shortcuts. Dark ink on white, like pencil on
//! paper; preprocessing inverts it into a Fashion-MNIST-like image.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::render::{AnimationFrame, request_animation_frame};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap, KeyboardEvent, PointerEvent};
use yew::prelude::*;

use crate::ui::services::input_image::{InputImage, now_ms};

/// Canvas resolution in its own units; CSS scales it to the layout.
pub const SIDE: u32 = 280;
const BRUSHES: [(f64, &str); 3] = [(12.0, "S"), (22.0, "M"), (34.0, "L")];

#[derive(Clone, Debug)]
struct Stroke {
    points: Vec<(f64, f64)>,
    width: f64,
    erase: bool,
}

/// What is on the canvas: an optional uploaded picture underneath, then the strokes.
#[derive(Default)]
struct Sketch {
    base: Option<ImageBitmap>,
    strokes: Vec<Stroke>,
    drawing: bool,
    /// When the last pointer or key input changed the sketch.
    input_at: f64,
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// A smooth path: quadratic curves through the midpoints between samples.
fn draw_stroke(ctx: &CanvasRenderingContext2d, stroke: &Stroke) {
    ctx.set_stroke_style_str(if stroke.erase { "#ffffff" } else { "#111111" });
    ctx.set_fill_style_str(if stroke.erase { "#ffffff" } else { "#111111" });
    ctx.set_line_width(stroke.width);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    let points = &stroke.points;
    match points.len() {
        0 => {}
        1 => {
            ctx.begin_path();
            let _ = ctx.arc(points[0].0, points[0].1, stroke.width / 2.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
        _ => {
            ctx.begin_path();
            ctx.move_to(points[0].0, points[0].1);
            for pair in points.windows(2).skip(1) {
                let mid = ((pair[0].0 + pair[1].0) / 2.0, (pair[0].1 + pair[1].1) / 2.0);
                ctx.quadratic_curve_to(pair[0].0, pair[0].1, mid.0, mid.1);
            }
            let last = points[points.len() - 1];
            ctx.line_to(last.0, last.1);
            ctx.stroke();
        }
    }
}

fn redraw(canvas: &HtmlCanvasElement, sketch: &Sketch) {
    let Some(ctx) = context(canvas) else { return };
    let side = SIDE as f64;
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, side, side);
    if let Some(base) = &sketch.base {
        // Fit inside the square, keeping the aspect ratio.
        let (w, h) = (base.width() as f64, base.height() as f64);
        let scale = (side / w).min(side / h);
        let (dw, dh) = (w * scale, h * scale);
        // Tiny pictures (a 28×28 test image) are shown with crisp pixels, large ones smoothed.
        ctx.set_image_smoothing_enabled(scale < 1.0);
        let _ = ctx.draw_image_with_image_bitmap_and_dw_and_dh(base, (side - dw) / 2.0, (side - dh) / 2.0, dw, dh);
    }
    ctx.set_image_smoothing_enabled(true);
    for stroke in &sketch.strokes {
        draw_stroke(&ctx, stroke);
    }
}

fn snapshot(canvas: &HtmlCanvasElement, sketch: &Sketch) -> Option<InputImage> {
    if sketch.base.is_none() && sketch.strokes.is_empty() {
        return None;
    }
    let data = context(canvas)?.get_image_data(0.0, 0.0, SIDE as f64, SIDE as f64).ok()?;
    Some(InputImage { width: SIDE, height: SIDE, rgba: Rc::new(data.data().0), input_at: sketch.input_at })
}

fn position(canvas: &HtmlCanvasElement, e: &PointerEvent) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    let scale = SIDE as f64 / rect.width().max(1.0);
    ((e.client_x() as f64 - rect.left()) * scale, (e.client_y() as f64 - rect.top()) * scale)
}

#[derive(Properties, PartialEq)]
pub struct DrawCanvasProps {
    /// The canvas content after every change (at most once per frame); `None` when blank.
    pub on_change: Callback<Option<InputImage>>,
    /// An uploaded picture to draw on (replaces the sketch); `None` leaves it alone.
    #[prop_or_default]
    pub base: Option<BaseImage>,
}

/// An uploaded picture, compared by identity (a new upload is a new `id`).
#[derive(Clone, Debug)]
pub struct BaseImage {
    pub id: u32,
    pub bitmap: ImageBitmap,
}

impl PartialEq for BaseImage {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

#[component]
pub fn DrawCanvas(props: &DrawCanvasProps) -> Html {
    let canvas = use_node_ref();
    let sketch = use_mut_ref(Sketch::default);
    let frame: Rc<RefCell<Option<AnimationFrame>>> = use_mut_ref(|| None);
    let brush = use_state(|| 1usize);
    let erasing = use_state(|| false);
    let revision = use_state(|| 0u32);

    // Redraw and report, once per animation frame however many pointer events arrive.
    let report = {
        let (canvas, sketch, frame, on_change) =
            (canvas.clone(), sketch.clone(), frame.clone(), props.on_change.clone());
        Rc::new(move || {
            let (canvas, sketch, on_change) = (canvas.clone(), sketch.clone(), on_change.clone());
            *frame.borrow_mut() = Some(request_animation_frame(move |_| {
                if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                    redraw(&el, &sketch.borrow());
                    on_change.emit(snapshot(&el, &sketch.borrow()));
                }
            }));
        })
    };
    {
        // A new upload replaces the sketch; the page classifies the upload itself (at full
        // resolution), so this only shows it.
        let (sketch, canvas) = (sketch.clone(), canvas.clone());
        use_effect_with(props.base.clone(), move |base| {
            if let Some(base) = base {
                *sketch.borrow_mut() = Sketch { base: Some(base.bitmap.clone()), ..Sketch::default() };
            }
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                redraw(&el, &sketch.borrow());
            }
        });
    }
    let bump = {
        let revision = revision.clone();
        move || revision.set(*revision + 1)
    };

    let onpointerdown = {
        let (canvas, sketch, report, brush, erasing) =
            (canvas.clone(), sketch.clone(), report.clone(), *brush, *erasing);
        Callback::from(move |e: PointerEvent| {
            let Some(el) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            e.prevent_default();
            let _ = el.set_pointer_capture(e.pointer_id());
            let mut s = sketch.borrow_mut();
            s.drawing = true;
            s.input_at = now_ms();
            s.strokes.push(Stroke { points: vec![position(&el, &e)], width: BRUSHES[brush].0, erase: erasing });
            drop(s);
            report();
        })
    };
    let onpointermove = {
        let (canvas, sketch, report) = (canvas.clone(), sketch.clone(), report.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(el) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            let mut s = sketch.borrow_mut();
            if !s.drawing {
                return;
            }
            e.prevent_default();
            s.input_at = now_ms();
            let point = position(&el, &e);
            if let Some(stroke) = s.strokes.last_mut() {
                stroke.points.push(point);
            }
            drop(s);
            report();
        })
    };
    let end = {
        let (sketch, bump) = (sketch.clone(), bump.clone());
        Callback::from(move |_: PointerEvent| {
            let was_drawing = std::mem::replace(&mut sketch.borrow_mut().drawing, false);
            if was_drawing {
                bump();
            }
        })
    };
    let undo = {
        let (sketch, report, bump) = (sketch.clone(), report.clone(), bump.clone());
        Rc::new(move || {
            let mut s = sketch.borrow_mut();
            s.strokes.pop();
            s.input_at = now_ms();
            drop(s);
            report();
            bump();
        })
    };
    let clear = {
        let (sketch, report, bump) = (sketch.clone(), report.clone(), bump.clone());
        Rc::new(move || {
            *sketch.borrow_mut() = Sketch::default();
            report();
            bump();
        })
    };
    let onkeydown = {
        let (undo, clear, brush, erasing) = (undo.clone(), clear.clone(), brush.clone(), erasing.clone());
        Callback::from(move |e: KeyboardEvent| {
            let handled = match e.key().as_str() {
                "z" | "Z" if e.ctrl_key() || e.meta_key() => {
                    undo();
                    true
                }
                "u" => {
                    undo();
                    true
                }
                "Delete" | "Backspace" | "c" => {
                    clear();
                    true
                }
                "e" => {
                    erasing.set(!*erasing);
                    true
                }
                "b" => {
                    erasing.set(false);
                    true
                }
                "[" => {
                    brush.set(brush.saturating_sub(1));
                    true
                }
                "]" => {
                    brush.set((*brush + 1).min(BRUSHES.len() - 1));
                    true
                }
                _ => false,
            };
            if handled {
                e.prevent_default();
            }
        })
    };
    let strokes = sketch.borrow().strokes.len();
    let has_content = strokes > 0 || sketch.borrow().base.is_some();
    let size_buttons = BRUSHES.iter().enumerate().map(|(i, (width, label))| {
        let brush = brush.clone();
        html! {
            <button class={classes!("segment", (*brush == i).then_some("active"))} aria-pressed={(*brush == i).to_string()}
                    title={format!("Brush {width} px ([ and ] change it)")} onclick={Callback::from(move |_| brush.set(i))}>{*label}</button>
        }
    });
    let toggle_erase = {
        let erasing = erasing.clone();
        Callback::from(move |_| erasing.set(!*erasing))
    };
    html! {
        <div class="draw" onkeydown={onkeydown} tabindex="0" aria-label="Drawing area: draw with the mouse, a finger or a pen">
            <canvas ref={canvas} class={classes!("draw-canvas", (*erasing).then_some("erasing"))} data-testid="draw-canvas"
                    data-strokes={strokes.to_string()} width={SIDE.to_string()} height={SIDE.to_string()}
                    onpointerdown={onpointerdown} onpointermove={onpointermove} onpointerup={end.clone()}
                    onpointercancel={end.clone()} onpointerleave={end} />
            <div class="draw-tools">
                <div class="segmented" role="group" aria-label="Brush size">{ for size_buttons }</div>
                <button class={classes!("button", "small", (*erasing).then_some("active"))} data-testid="draw-eraser"
                        aria-pressed={erasing.to_string()} title="Eraser (E)" onclick={toggle_erase}>{"Eraser"}</button>
                <button class="button small" data-testid="draw-undo" disabled={strokes == 0} title="Undo (Ctrl+Z)"
                        onclick={Callback::from(move |_| undo())}>{"Undo"}</button>
                <button class="button small" data-testid="draw-clear" disabled={!has_content} title="Clear (Delete)"
                        onclick={Callback::from(move |_| clear())}>{"Clear"}</button>
            </div>
        </div>
    }
}
