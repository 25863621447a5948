//! A 28×28 greyscale image on a canvas; CSS scales it up with crisp pixels.

use std::cell::Cell;

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

use crate::data::IMAGE_SIDE;
use crate::state::SplitRef;
use crate::web::mark;

thread_local! {
    static FIRST_DRAWN: Cell<bool> = const { Cell::new(false) };
}

#[derive(Properties, PartialEq)]
pub struct PixelImageProps {
    pub split: SplitRef,
    pub index: usize,
    #[prop_or_default]
    pub class: Classes,
}

fn draw(canvas: &HtmlCanvasElement, grey: &[u8]) -> Option<()> {
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let rgba: Vec<u8> = grey.iter().flat_map(|&v| [v, v, v, 255]).collect();
    let side = IMAGE_SIDE as u32;
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), side, side).ok()?;
    ctx.put_image_data(&image, 0.0, 0.0).ok()
}

#[component]
pub fn PixelImage(props: &PixelImageProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with((props.split.clone(), props.index), move |(split, index)| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && draw(&el, split.image(*index)).is_some()
                && !FIRST_DRAWN.replace(true)
            {
                mark("atelier:first-gallery-image");
            }
        });
    }
    let side = IMAGE_SIDE.to_string();
    html! {
        <canvas ref={canvas} class={classes!("pixels", props.class.clone())}
                width={side.clone()} height={side} aria-hidden="true" />
    }
}

/// Any 28×28 greyscale bytes (the model's input).
#[derive(Properties, PartialEq)]
pub struct GreyImageProps {
    pub pixels: std::rc::Rc<Vec<u8>>,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub testid: AttrValue,
}

#[component]
pub fn GreyImage(props: &GreyImageProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.pixels.clone(), move |pixels| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>() {
                draw(&el, pixels);
            }
        });
    }
    let side = IMAGE_SIDE.to_string();
    html! {
        <canvas ref={canvas} class={classes!("pixels", props.class.clone())} data-testid={props.testid.clone()}
                width={side.clone()} height={side} role="img" aria-label="The 28×28 image the model sees" />
    }
}

/// The model's input in grey, with the saliency (0–1 per pixel) laid over it from red to yellow:
/// the weakest fifth is left out, so the map shows where the answer comes from, not noise.
pub fn saliency_rgba(input: &[u8], saliency: &[f32]) -> Vec<u8> {
    input
        .iter()
        .zip(saliency)
        .flat_map(|(&v, &s)| {
            let base = v as f32 * 0.55;
            let s = s.clamp(0.0, 1.0);
            let alpha = ((s - 0.2) / 0.8).clamp(0.0, 1.0).sqrt();
            let mix = |heat: f32| (base * (1.0 - alpha) + heat * alpha) as u8;
            [mix(255.0), mix(40.0 + 215.0 * s), mix(20.0 * s), 255]
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct SaliencyImageProps {
    pub input: std::rc::Rc<Vec<u8>>,
    pub saliency: std::rc::Rc<Vec<f32>>,
}

#[component]
pub fn SaliencyImage(props: &SaliencyImageProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with((props.input.clone(), props.saliency.clone()), move |(input, saliency)| {
            if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                && let Some(ctx) =
                    el.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
            {
                let rgba = saliency_rgba(input, saliency);
                let side = IMAGE_SIDE as u32;
                if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), side, side) {
                    let _ = ctx.put_image_data(&image, 0.0, 0.0);
                }
            }
        });
    }
    let side = IMAGE_SIDE.to_string();
    html! {
        <canvas ref={canvas} class="pixels large" data-testid="saliency" width={side.clone()} height={side}
                role="img" aria-label="Which pixels drove the answer" />
    }
}
