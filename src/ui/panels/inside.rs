//! "Inside the two networks", the lesson's why-a-CNN-wins made visible: the shipped dense
//! network's first-layer weights (each a blurry garment tied to pixel places), the shipped CNN's
//! 3×3 filters and where they fire, and a shift control that moves the chosen picture while both
//! answer. The classifier worker computes it all (`engine::inspect`).

use std::rc::Rc;

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

use crate::data::CLASS_NAMES;
use crate::protocol::{InspectRequest, Inspection, ModelView, Picture, ToEngine};
use crate::state::SplitRef;
use crate::ui::panels::pixels::GreyImage;

/// The garments offered, by class: shapes that differ, so the class sees each model's answer.
const EXAMPLES: [u8; 6] = [7, 1, 9, 8, 0, 3];
/// The shift buttons stop here: past 4 px both models were measured well below their best.
const MAX_SHIFT: i32 = 4;

#[derive(Properties, PartialEq)]
pub struct InsideProps {
    pub test: Option<SplitRef>,
    /// The user's newest drawing or upload, as the model sees it.
    pub drawing: Option<Rc<Vec<u8>>>,
    pub inspection: Option<Rc<Inspection>>,
    pub on_command: Callback<ToEngine>,
}

/// What the shift control moves: a test garment (its index in the test split) or the drawing.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    Test(usize),
    Drawing,
}

#[component]
pub fn Inside(props: &InsideProps) -> Html {
    let examples: Vec<(u8, usize)> = props.test.as_ref().map_or_else(Vec::new, |test| {
        EXAMPLES
            .iter()
            .filter_map(|&class| test.0.labels().iter().position(|&l| l == class).map(|i| (class, i)))
            .collect()
    });
    let source = use_state(|| None::<Source>);
    let offset = use_state(|| (0i32, 0i32));
    let seq = use_mut_ref(|| 0u64);
    let chosen = (*source).or(examples.first().map(|&(_, i)| Source::Test(i)));
    let pixels: Option<Vec<u8>> = match chosen {
        Some(Source::Test(i)) => props.test.as_ref().map(|t| t.0.image(i).to_vec()),
        Some(Source::Drawing) => props.drawing.as_ref().map(|d| d.to_vec()),
        None => None,
    };
    {
        let on_command = props.on_command.clone();
        use_effect_with((pixels.clone(), *offset), move |(pixels, (dx, dy))| {
            if let Some(pixels) = pixels {
                *seq.borrow_mut() += 1;
                let seq = *seq.borrow();
                on_command.emit(ToEngine::Inspect(InspectRequest { seq, pixels: pixels.clone(), dx: *dx, dy: *dy }));
            }
        });
    }
    let (dx, dy) = *offset;
    let nudge = |(ddx, ddy): (i32, i32), label: &'static str, name: &'static str| {
        let offset = offset.clone();
        let to = ((dx + ddx).clamp(-MAX_SHIFT, MAX_SHIFT), (dy + ddy).clamp(-MAX_SHIFT, MAX_SHIFT));
        html! {
            <button class="button shift-button" aria-label={name} title={name} disabled={to == (dx, dy)}
                    onclick={Callback::from(move |_| offset.set(to))}>{label}</button>
        }
    };
    let pick = |to: Source, label: String, pressed: bool| {
        let (source, offset) = (source.clone(), offset.clone());
        html! {
            <button class="button small quiet" aria-pressed={pressed.to_string()}
                    onclick={Callback::from(move |_| { source.set(Some(to)); offset.set((0, 0)); })}>{label}</button>
        }
    };
    let shown = props.inspection.as_ref().filter(|i| !i.pixels.is_empty());
    html! {
        <section class="card inside-card" aria-label="Inside the two networks" data-testid="inside">
            <div class="card-head"><h2>{"Inside the two networks"}</h2></div>
            <div class="inside-picker" role="group" aria-label="The picture">
                { for examples.iter().map(|&(class, i)| pick(Source::Test(i), CLASS_NAMES[class as usize].into(), chosen == Some(Source::Test(i)))) }
                if props.drawing.is_some() {
                    {pick(Source::Drawing, "Your drawing".into(), chosen == Some(Source::Drawing))}
                }
            </div>
            <div class="inside-body">
                <div class="shift-control" data-testid="shift-control" data-dx={dx.to_string()} data-dy={dy.to_string()}>
                    if let Some(inspection) = shown {
                        <GreyImage pixels={Rc::new(inspection.pixels.clone())} class="large" testid="shifted-picture" />
                    }
                    <div class="shift-pad">
                        <span />{nudge((0, -1), "↑", "Move up")}<span />
                        {nudge((-1, 0), "←", "Move left")}
                        <button class="button shift-button" title="Back to the middle" aria-label="Back to the middle"
                                disabled={(dx, dy) == (0, 0)} onclick={{ let offset = offset.clone(); Callback::from(move |_| offset.set((0, 0))) }}>{"·"}</button>
                        {nudge((1, 0), "→", "Move right")}
                        <span />{nudge((0, 1), "↓", "Move down")}<span />
                    </div>
                    <p class="shift-readout">{moved_by(dx, dy)}</p>
                </div>
                { column("Dense network", "dense", shown.map(|i| &i.dense), dense_pictures) }
                { column("CNN", "cnn", shown.map(|i| &i.cnn), cnn_pictures) }
            </div>
            // The shipped CNN trained on pictures moved ±2 px, the dense network on unmoved ones:
            // the class should know which part of the difference the architecture makes.
            <p class="hint" data-testid="inside-note">
                {"Both are Atelier's pre-trained models. The CNN also saw pictures moved up to 2 px while it learned; \
                  the lesson's table compares the two trained alike."}
            </p>
        </section>
    }
}

fn moved_by(dx: i32, dy: i32) -> String {
    let part = |d: i32, plus: &str, minus: &str| match d {
        0 => None,
        d => Some(format!("{} px {}", d.abs(), if d > 0 { plus } else { minus })),
    };
    let parts: Vec<String> = [part(dx, "right", "left"), part(dy, "down", "up")].into_iter().flatten().collect();
    if parts.is_empty() { "Where it was taken".into() } else { format!("Moved {}", parts.join(", ")) }
}

/// One model: its answer for the moved picture, large, and what its first layer looks for.
fn column(
    title: &str,
    id: &'static str,
    view: Option<&Result<ModelView, String>>,
    pictures: fn(&ModelView) -> Html,
) -> Html {
    let body = match view {
        None => html! { <p class="hint">{"Asking the model…"}</p> },
        Some(Err(why)) => html! { <p class="input-error">{why.clone()}</p> },
        Some(Ok(view)) => {
            let (class, p) = view
                .probabilities
                .iter()
                .copied()
                .enumerate()
                .fold((0, f32::MIN), |best, (c, p)| if p > best.1 { (c, p) } else { best });
            html! {
                <>
                    <p class="inside-answer" data-testid="shift-answer" data-model={id} data-class={class.to_string()} data-p={p.to_string()}>
                        <strong>{CLASS_NAMES[class]}</strong>{format!(" {:.0} %", p * 100.0)}
                    </p>
                    {pictures(view)}
                </>
            }
        }
    };
    html! { <div class={classes!("inside-model", id)}><h3>{title}</h3>{body}</div> }
}

fn dense_pictures(view: &ModelView) -> Html {
    html! {
        <figure data-testid="weights-view">
            <div class="picture-grid">{ for view.kernels.iter().map(|k| html! { <PictureCanvas picture={k.clone()} signed=true /> }) }</div>
            <figcaption>{format!("What its {} strongest neurons look for: each weighs every pixel in its place (orange +, blue −).", view.kernels.len())}</figcaption>
        </figure>
    }
}

fn cnn_pictures(view: &ModelView) -> Html {
    html! {
        <figure data-testid="feature-maps">
            <div class="picture-grid filters">{ for view.kernels.iter().map(|k| html! { <PictureCanvas picture={k.clone()} signed=true /> }) }</div>
            <div class="picture-grid">{ for view.maps.iter().map(|m| html! { <PictureCanvas picture={m.clone()} signed=false /> }) }</div>
            <figcaption>{format!("Its {} strongest 3 × 3 filters, and where each fires on the picture: move it, and the maps move with it.", view.kernels.len())}</figcaption>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
struct PictureProps {
    picture: Picture,
    /// Weights (orange positive, blue negative, on white) or activations (white on black).
    signed: bool,
}

#[component]
fn PictureCanvas(props: &PictureProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with((props.picture.clone(), props.signed), move |(picture, signed)| {
            let side = picture.side as u32;
            let rgba = if *signed { weight_rgba(&picture.values) } else { activation_rgba(&picture.values) };
            if let Some(ctx) = canvas
                .cast::<HtmlCanvasElement>()
                .and_then(|el| el.get_context("2d").ok().flatten())
                .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
                && let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), side, side)
            {
                let _ = ctx.put_image_data(&image, 0.0, 0.0);
            }
        });
    }
    let side = props.picture.side.to_string();
    html! { <canvas ref={canvas} class="pixels picture" width={side.clone()} height={side} aria-hidden="true" /> }
}

/// Scaled to the 95th percentile of the weights' sizes, not the largest: a few outliers would
/// otherwise wash the picture out.
fn weight_rgba(values: &[f32]) -> Vec<u8> {
    let mut sizes: Vec<f32> = values.iter().map(|v| v.abs()).collect();
    sizes.sort_by(f32::total_cmp);
    let scale = sizes.get(sizes.len() * 95 / 100).copied().unwrap_or(0.0).max(f32::MIN_POSITIVE);
    let mix = |to: [f32; 3], t: f32| to.map(|c| (245.0 + (c - 245.0) * t) as u8);
    values
        .iter()
        .flat_map(|&v| {
            let t = (v / scale).clamp(-1.0, 1.0);
            let [r, g, b] = if t >= 0.0 { mix([220.0, 90.0, 0.0], t) } else { mix([20.0, 80.0, 200.0], -t) };
            [r, g, b, 255]
        })
        .collect()
}

fn activation_rgba(values: &[f32]) -> Vec<u8> {
    let scale = values.iter().fold(0f32, |m, &v| m.max(v)).max(f32::MIN_POSITIVE);
    values
        .iter()
        .flat_map(|&v| {
            let g = (v.max(0.0) / scale * 255.0) as u8;
            [g, g, g, 255]
        })
        .collect()
}
