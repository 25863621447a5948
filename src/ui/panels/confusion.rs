//! The confusion matrix as a clickable heat map, and the test images behind a chosen cell, each
//! with the model's probabilities: so a class can see *which* shirts pass for T-shirts, and why.

use yew::prelude::*;

use crate::data::{CLASS_NAMES, NUM_CLASSES};
use crate::state::SplitRef;
use crate::state::runs::EvalRef;
use crate::ui::panels::tiles::ProbabilityTile;
use crate::ui::services::png;

/// Cell colour: blue on the diagonal (right answers), red off it (mistakes), by the share of the
/// true class's images, so rows are comparable whatever their size. Off-diagonal shares are
/// small, hence amplified.
fn cell_style(truth: usize, predicted: usize, count: u32, row_total: u32) -> (String, bool) {
    let (shade, dark) = cell_shade(truth, predicted, count, row_total);
    let text = if dark { "#fff" } else { "#000" };
    (format!("background: {shade}; color: {text}"), dark)
}

/// The cell's colour (CSS) and whether white text reads better on it than black.
fn cell_shade(truth: usize, predicted: usize, count: u32, row_total: u32) -> (String, bool) {
    if count == 0 || row_total == 0 {
        return ("#faf9f6".into(), false);
    }
    let share = count as f32 / row_total as f32;
    let (rgb, alpha) = if truth == predicted {
        ([47.0, 75.0, 216.0], 0.12 + 0.88 * share)
    } else {
        ([192.0, 57.0, 43.0], (0.1 + 3.0 * share).min(1.0))
    };
    // The shade as seen on the white card, and whichever of black or white text reads better on
    // it: one of them always has a contrast of at least 4.58:1 (WCAG AA asks 4.5).
    let seen = rgb.map(|c: f32| c * alpha + 255.0 * (1.0 - alpha));
    let dark = relative_luminance(seen) < 0.179;
    (format!("rgb({:.0},{:.0},{:.0})", seen[0], seen[1], seen[2]), dark)
}

/// WCAG's relative luminance of an sRGB colour (0–255 channels).
fn relative_luminance(rgb: [f32; 3]) -> f32 {
    let linear = rgb.map(|c| {
        let c = c / 255.0;
        if c <= 0.040_45 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    });
    0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
}

#[derive(Properties, PartialEq)]
pub struct ConfusionProps {
    pub set: EvalRef,
    pub selected: Option<(u8, u8)>,
    pub on_cell: Callback<Option<(u8, u8)>>,
}

#[component]
pub fn ConfusionMatrix(props: &ConfusionProps) -> Html {
    let matrix = &props.set.0.confusion;
    let header = CLASS_NAMES.iter().map(|name| html! { <div class="cm-col-head" title={*name}>{*name}</div> });
    let rows = (0..NUM_CLASSES).map(|t| {
        let row_total = matrix.row_total(t as u8);
        let cells = (0..NUM_CLASSES).map(move |p| {
            let count = matrix.count(t as u8, p as u8);
            let (style, dark) = cell_style(t, p, count, row_total);
            let selected = props.selected == Some((t as u8, p as u8));
            let onclick = props.on_cell.reform(move |_| if selected { None } else { Some((t as u8, p as u8)) });
            let label = format!("{} predicted as {}: {count} images", CLASS_NAMES[t], CLASS_NAMES[p]);
            html! {
                <button class={classes!("confusion-cell", dark.then_some("dark"), (t == p).then_some("diagonal"), selected.then_some("selected"))}
                        data-testid="confusion-cell" data-true={t.to_string()} data-pred={p.to_string()} data-count={count.to_string()}
                        {style} title={label.clone()} aria-label={label} aria-pressed={selected.to_string()} disabled={count == 0} {onclick}>
                    {count}
                </button>
            }
        });
        html! { <>
            <div class="cm-row-head" title={CLASS_NAMES[t]}>{CLASS_NAMES[t]}</div>
            { for cells }
        </> }
    });
    let export = {
        let set = props.set.clone();
        Callback::from(move |_| {
            let matrix = &set.0.confusion;
            let shade =
                |t: usize, p: usize| cell_shade(t, p, matrix.count(t as u8, p as u8), matrix.row_total(t as u8));
            if let Some(canvas) = png::confusion(matrix, "Confusion matrix", shade) {
                png::download(&canvas, "atelier-confusion-matrix.png");
            }
        })
    };
    html! {
        <figure class="confusion" data-testid="confusion-matrix" data-total={matrix.total().to_string()}>
            <figcaption>
                {"Confusion matrix"}<span class="muted">{" — rows: true class · columns: predicted · click a cell"}</span>
                <button class="button small quiet export" data-testid="chart-export" data-chart="confusion-matrix"
                        onclick={export} title="Save the matrix as a PNG picture (for slides)">{"Save PNG"}</button>
            </figcaption>
            <div class="cm-grid" role="group" aria-label="Confusion matrix">
                <div class="cm-corner">{"true ↓ / predicted →"}</div>
                { for header }
                { for rows }
            </div>
        </figure>
    }
}

/// Tiles per page of a cell: a diagonal cell holds up to 1,000 images.
const PAGE: usize = 40;

#[derive(Properties, PartialEq)]
pub struct CellImagesProps {
    pub set: EvalRef,
    pub test: SplitRef,
    pub cell: (u8, u8),
    pub on_close: Callback<()>,
}

#[component]
pub fn CellImages(props: &CellImagesProps) -> Html {
    let page = use_state(|| 0usize);
    let (truth, predicted) = props.cell;
    let images = props.set.0.images_of(truth, predicted);
    let pages = images.len().div_ceil(PAGE).max(1);
    let current = (*page).min(pages - 1);
    let shown = &images[current * PAGE..((current + 1) * PAGE).min(images.len())];
    let title = if truth == predicted {
        format!("{} recognised correctly — {} images", CLASS_NAMES[truth as usize], images.len())
    } else {
        format!(
            "{} taken for {} — {} images",
            CLASS_NAMES[truth as usize],
            CLASS_NAMES[predicted as usize],
            images.len()
        )
    };
    let go = |to: usize| {
        let page = page.clone();
        Callback::from(move |_| page.set(to))
    };
    html! {
        <section class="cell-images" data-testid="cell-images" data-true={truth.to_string()} data-pred={predicted.to_string()}
                 data-total={images.len().to_string()} data-page={current.to_string()} data-pages={pages.to_string()} aria-live="polite">
            <div class="cell-head">
                <h3>{title}</h3>
                <button class="button small" data-testid="cell-close" onclick={props.on_close.reform(|_| ())}>{"Close"}</button>
            </div>
            <p class="hint">{"Each image with the model's probabilities: the red bar is its answer, the green bar the true class."}</p>
            <div class="tile-grid">
                { for shown.iter().map(|&i| html! {
                    <ProbabilityTile key={i} split={props.test.clone()} index={i}
                        probabilities={props.set.0.probabilities[i]} truth={truth} testid="cell-image" />
                }) }
            </div>
            if pages > 1 {
                <div class="pager">
                    <button class="button small" data-testid="cell-prev" disabled={current == 0} onclick={go(current.saturating_sub(1))}>{"← Previous"}</button>
                    <span class="shown">{format!("page {} of {pages}", current + 1)}</span>
                    <button class="button small" data-testid="cell-next" disabled={current + 1 >= pages} onclick={go(current + 1)}>{"Next →"}</button>
                </div>
            }
        </section>
    }
}
