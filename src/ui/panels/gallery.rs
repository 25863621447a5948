//! The labelled gallery: train/test switch, class filter with counts, pages of 60 images,
//! roving keyboard focus and an enlarged view of the selected image.

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::data::{CLASS_NAMES, SplitKind};
use crate::state::{Action, GalleryView, SplitRef};
use crate::ui::panels::pixels::PixelImage;

pub const PAGE_SIZE: usize = 60;

#[derive(Properties, PartialEq)]
pub struct GalleryProps {
    pub train: Option<SplitRef>,
    pub test: Option<SplitRef>,
    pub view: GalleryView,
    pub dispatch: Callback<Action>,
    /// The dataset failed to load: say so instead of "loading".
    pub data_failed: bool,
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[component]
pub fn Gallery(props: &GalleryProps) -> Html {
    let GalleryProps { train, test, view, dispatch, data_failed } = props;
    let split = match view.split {
        SplitKind::Train => train,
        SplitKind::Test => test,
    };
    let grid = use_node_ref();
    let indices = {
        let split = split.clone();
        use_memo((split, view.class), |(split, class)| split.as_ref().map(|s| s.indices_of(*class)).unwrap_or_default())
    };
    let pages = indices.len().div_ceil(PAGE_SIZE).max(1);
    let page = view.page.min(pages - 1);
    let start = page * PAGE_SIZE;
    let end = (start + PAGE_SIZE).min(indices.len());

    // Keep keyboard focus on the selected tile after a re-render (e.g. a page turn).
    {
        let grid = grid.clone();
        use_effect_with((view.selected, page), move |(selected, _)| {
            if let (Some(pos), Some(grid)) = (selected, grid.cast::<HtmlElement>())
                && let Ok(Some(el)) = grid.query_selector(&format!("[data-pos=\"{pos}\"]"))
                && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<HtmlElement>(el)
            {
                let _ = el.focus();
            }
        });
    }

    // Where the keyboard cursor is: a held arrow key sends presses faster than the page
    // re-renders, so each press moves on from the previous press, not from the last render.
    // A selection made another way (a click, a filter) resets it.
    let cursor = use_mut_ref(|| (None::<usize>, None::<usize>));
    if cursor.borrow().0 != view.selected {
        *cursor.borrow_mut() = (view.selected, view.selected);
    }
    let onkeydown = {
        let (dispatch, grid, cursor) = (dispatch.clone(), grid.clone(), cursor.clone());
        let total = indices.len();
        Callback::from(move |e: KeyboardEvent| {
            let selected = cursor.borrow().1.unwrap_or(start);
            let cols = grid.cast::<HtmlElement>().map(columns).unwrap_or(1);
            let target = match e.key().as_str() {
                "ArrowRight" => selected.saturating_add(1),
                "ArrowLeft" => selected.saturating_sub(1),
                "ArrowDown" => selected.saturating_add(cols),
                "ArrowUp" => selected.saturating_sub(cols),
                "PageDown" => selected.saturating_add(PAGE_SIZE),
                "PageUp" => selected.saturating_sub(PAGE_SIZE),
                "Home" => selected - selected % PAGE_SIZE,
                "End" => selected - selected % PAGE_SIZE + PAGE_SIZE - 1,
                _ => return,
            };
            e.prevent_default();
            if total == 0 {
                return;
            }
            let target = target.min(total - 1);
            cursor.borrow_mut().1 = Some(target);
            if target / PAGE_SIZE != selected / PAGE_SIZE {
                dispatch.emit(Action::GoToPage(target / PAGE_SIZE));
            }
            dispatch.emit(Action::Select(Some(target)));
        })
    };

    let tiles = split.iter().flat_map(|split| {
        let indices = indices.clone();
        (start..end).map(move |pos| {
            let index = indices[pos] as usize;
            let label = split.label(index);
            let selected = view.selected == Some(pos);
            let focusable = selected || (view.selected.is_none() && pos == start);
            let onclick = dispatch.reform(move |_| Action::Select(Some(pos)));
            html! {
                <button key={index} class={classes!("tile", selected.then_some("selected"))}
                        data-testid="gallery-item" data-label={label.to_string()}
                        data-index={index.to_string()} data-pos={pos.to_string()}
                        tabindex={if focusable { "0" } else { "-1" }} {onclick}
                        aria-label={format!("{} image {index}: {}", split.kind, CLASS_NAMES[label as usize])}>
                    <PixelImage split={split.clone()} {index} />
                    <span class="caption">{CLASS_NAMES[label as usize]}</span>
                </button>
            }
        })
    });

    html! {
        <section class="card gallery-card" aria-label="Image gallery">
            <GalleryToolbar train={train.clone()} test={test.clone()} view={view.clone()} dispatch={dispatch.clone()} />
            <div class="gallery-body">
                <div class="grid" ref={grid} data-testid="gallery" role="group"
                     data-split={view.split.label()} data-count={indices.len().to_string()}
                     aria-label="Images; arrow keys move, Page Up/Down turn pages" {onkeydown}>
                    if split.is_none() && *data_failed {
                        <p class="placeholder">{"No images to show: the dataset could not be loaded (see above)."}</p>
                    } else if split.is_none() {
                        <p class="placeholder">{format!("The {} images are still loading…", view.split)}</p>
                    }
                    { for tiles }
                </div>
                <Inspector split={split.clone()} selected={view.selected.and_then(|p| indices.get(p).copied())} />
            </div>
            <Pager {page} {pages} shown={(start, end)} total={indices.len()} dispatch={dispatch.clone()} />
        </section>
    }
}

/// Number of tiles in the grid's first row, for Up/Down.
fn columns(grid: HtmlElement) -> usize {
    let children = grid.children();
    let first_top = children.item(0).and_then(|c| c.dyn_into::<HtmlElement>().ok()).map(|e| e.offset_top());
    (0..children.length())
        .filter_map(|i| children.item(i)?.dyn_into::<HtmlElement>().ok())
        .take_while(|e| Some(e.offset_top()) == first_top)
        .count()
        .max(1)
}

use wasm_bindgen::JsCast;

#[derive(Properties, PartialEq)]
struct ToolbarProps {
    train: Option<SplitRef>,
    test: Option<SplitRef>,
    view: GalleryView,
    dispatch: Callback<Action>,
}

#[component]
fn GalleryToolbar(props: &ToolbarProps) -> Html {
    let ToolbarProps { train, test, view, dispatch } = props;
    let counts = match view.split {
        SplitKind::Train => train.as_ref(),
        SplitKind::Test => test.as_ref(),
    }
    .map(|s| s.class_counts());
    let split_button = |kind: SplitKind, split: &Option<SplitRef>| {
        let active = view.split == kind;
        let count = split.as_ref().map(|s| thousands(s.len())).unwrap_or_else(|| "loading".into());
        html! {
            <button class={classes!("segment", active.then_some("active"))} aria-pressed={active.to_string()}
                    data-split={kind.label()} onclick={dispatch.reform(move |_| Action::ShowSplit(kind))}>
                {format!("{} · {count}", if kind == SplitKind::Train { "Train" } else { "Test" })}
            </button>
        }
    };
    let chip = |class: Option<u8>| {
        let active = view.class == class;
        let name = class.map(|c| CLASS_NAMES[c as usize]).unwrap_or("All");
        let count = match (class, counts) {
            (Some(c), Some(counts)) => thousands(counts[c as usize]),
            (None, Some(counts)) => thousands(counts.iter().sum()),
            _ => String::new(),
        };
        html! {
            <button class={classes!("chip", active.then_some("active"))} aria-pressed={active.to_string()}
                    data-class={class.map(|c| c.to_string()).unwrap_or_else(|| "all".into())}
                    onclick={dispatch.reform(move |_| Action::FilterClass(class))}>
                <span>{name}</span><span class="count">{count}</span>
            </button>
        }
    };
    html! {
        <div class="gallery-toolbar">
            <div class="segmented" data-testid="split-toggle" data-value={view.split.label()}
                 role="group" aria-label="Dataset split">
                {split_button(SplitKind::Train, train)}
                {split_button(SplitKind::Test, test)}
            </div>
            <div class="chips" data-testid="class-filter" role="group" aria-label="Filter by class"
                 data-value={view.class.map(|c| c.to_string()).unwrap_or_else(|| "all".into())}>
                {chip(None)}
                { for (0..10u8).map(|c| chip(Some(c))) }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct InspectorProps {
    split: Option<SplitRef>,
    selected: Option<u32>,
}

#[component]
fn Inspector(props: &InspectorProps) -> Html {
    let (Some(split), Some(index)) = (&props.split, props.selected) else {
        return html! {
            <aside class="inspector empty" data-testid="gallery-inspector">
                <p>{"Select an image to see it up close."}</p>
                <p class="hint">{"Tip: use the arrow keys, Page Up and Page Down."}</p>
            </aside>
        };
    };
    let index = index as usize;
    let label = split.label(index) as usize;
    html! {
        <aside class="inspector" data-testid="gallery-inspector" data-index={index.to_string()}>
            <PixelImage split={split.clone()} {index} class="large" />
            <h3>{CLASS_NAMES[label]}</h3>
            <p class="meta">{format!("{} image #{index} · label {label}", split.kind)}</p>
        </aside>
    }
}

#[derive(Properties, PartialEq)]
struct PagerProps {
    page: usize,
    pages: usize,
    shown: (usize, usize),
    total: usize,
    dispatch: Callback<Action>,
}

#[component]
fn Pager(props: &PagerProps) -> Html {
    let PagerProps { page, pages, shown, total, dispatch } = props;
    let (page, pages) = (*page, *pages);
    let go = |target: usize| dispatch.reform(move |_| Action::GoToPage(target));
    let on_input = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(n) = input.value().parse::<usize>() {
                dispatch.emit(Action::GoToPage(n.clamp(1, pages) - 1));
            }
        })
    };
    html! {
        <nav class="pager" aria-label="Gallery pages" data-testid="gallery-pager" data-page={page.to_string()}>
            <button class="button" disabled={page == 0} onclick={go(0)} aria-label="First page">{"« First"}</button>
            <button class="button" disabled={page == 0} onclick={go(page.saturating_sub(1))}
                    data-testid="page-prev">{"‹ Prev"}</button>
            <label class="page-input">
                {"Page "}
                <input type="number" min="1" max={pages.to_string()} value={(page + 1).to_string()} onchange={on_input} />
                {format!(" of {}", thousands(pages))}
            </label>
            <button class="button" disabled={page + 1 >= pages} onclick={go(page + 1)}
                    data-testid="page-next">{"Next ›"}</button>
            <button class="button" disabled={page + 1 >= pages} onclick={go(pages - 1)} aria-label="Last page">{"Last »"}</button>
            <span class="shown">
                if *total == 0 { {"No images"} }
                else { {format!("{}–{} of {}", thousands(shown.0 + 1), thousands(shown.1), thousands(*total))} }
            </span>
        </nav>
    }
}
