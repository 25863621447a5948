//! A 28×28 greyscale image on a canvas; CSS scales it up with crisp pixels.

use std::cell::Cell;

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

use super::state::SplitRef;
use crate::data::IMAGE_SIDE;
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
