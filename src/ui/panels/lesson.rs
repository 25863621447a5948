//! The lesson bar: the step's title and few sentences, its one-click run, Back / Next (also the
//! keys a presenter's clicker sends: → ← PageDown PageUp, and Space for Next), and the way back
//! to the whole app. The page shows only the step's panels (`state::lesson`).

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::protocol::RunSettings;
use crate::state::Action;
use crate::state::lesson::{Figure, LessonMove, SHIFTS_FILE, STEPS, ShiftFigures, StepAction, read_shift_figures};
use crate::state::presets::preset_runs;
use crate::state::recorded::RecordedAction;
use crate::ui::panels::share::QrCode;
use crate::ui::services::address;
use crate::web::fetch_bytes;

#[derive(Properties, PartialEq)]
pub struct LessonBarProps {
    /// 1-based.
    pub step: usize,
    /// A run can start now (data ready, engine up, nothing training).
    pub can_start: bool,
    pub dispatch: Callback<Action>,
    pub on_start: Callback<RunSettings>,
    pub on_preset: Callback<Vec<RunSettings>>,
    /// Whether the step's recorded runs are overlaid (`None`: the step has none).
    #[prop_or_default]
    pub recorded: Option<bool>,
}

/// Whether a key press belongs to the focused element: a form field (typing a seed must not
/// turn the page), or Space on a button (which presses that button).
fn for_the_focus(event: &web_sys::KeyboardEvent) -> bool {
    let tag = event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|e| e.tag_name());
    match tag.as_deref() {
        Some("INPUT" | "SELECT" | "TEXTAREA") => true,
        Some("BUTTON") => event.key() == " ",
        _ => false,
    }
}

#[component]
pub fn LessonBar(props: &LessonBarProps) -> Html {
    let (n, last) = (props.step, STEPS.len());
    let show_qr = use_state(|| false);
    let step = STEPS[n - 1];
    let go = |to: LessonMove| props.dispatch.reform(move |_| Action::Lesson(to));
    // The step lives in the address, so a link (or a reload) opens it.
    use_effect_with(n, |n| address::replace_address(&address::with_param("lesson", Some(&n.to_string()))));
    // A presenter's clicker sends → / PageDown (next) and ← / PageUp (back); Space is Next.
    // The moves are relative: two presses before a redraw are two pages.
    {
        let dispatch = props.dispatch.clone();
        use_effect_with((), move |_| {
            let options = EventListenerOptions::enable_prevent_default();
            let listener = EventListener::new_with_options(&gloo::utils::document(), "keydown", options, move |e| {
                let event = e.unchecked_ref::<web_sys::KeyboardEvent>();
                if for_the_focus(event) || event.alt_key() || event.ctrl_key() || event.meta_key() {
                    return;
                }
                let to = match event.key().as_str() {
                    "ArrowRight" | "PageDown" | " " => LessonMove::Next,
                    "ArrowLeft" | "PageUp" => LessonMove::Back,
                    _ => return,
                };
                event.prevent_default();
                dispatch.emit(Action::Lesson(to));
            });
            move || drop(listener)
        });
    }
    let action = step.action.map(|action| {
        let (label, onclick) = match action {
            StepAction::Train { label, settings } => {
                let (dispatch, on_start) = (props.dispatch.clone(), props.on_start.clone());
                (label, Callback::from(move |_| {
                    dispatch.emit(Action::EditSettings(settings()));
                    on_start.emit(settings());
                }))
            }
            StepAction::Preset { label, id } => {
                let on_preset = props.on_preset.clone();
                (label, Callback::from(move |_| on_preset.emit(preset_runs(id).unwrap_or_default())))
            }
        };
        html! {
            <button class="button primary big" data-testid="lesson-action" disabled={!props.can_start} {onclick}>{label}</button>
        }
    });
    html! {
        <section class="card lesson" data-testid="lesson" aria-label="Lesson">
            <div class="lesson-head">
                <span class="lesson-count">{format!("Step {n} of {last}")}</span>
                <h2 data-testid="lesson-step" data-step={n.to_string()}>{step.title}</h2>
                <span class="lesson-tools">
                    if let Some(on) = props.recorded {
                        <button class="button small quiet" data-testid="recorded-toggle" aria-pressed={on.to_string()}
                                title="The runs of this step as Atelier's trainer recorded them, beside any you train live"
                                onclick={props.dispatch.reform(move |_| Action::Recorded(RecordedAction::Show(!on)))}>
                            {if on { "Hide recorded" } else { "Show recorded" }}
                        </button>
                    }
                    <button class="button small quiet" data-testid="show-qr" aria-pressed={show_qr.to_string()}
                            title="This step's link as a QR code, for the class to open it on their machines"
                            onclick={{ let show_qr = show_qr.clone(); Callback::from(move |_| show_qr.set(!*show_qr)) }}>{"QR code"}</button>
                    <button class="button small quiet" data-testid="lesson-leave"
                            title="Back to the whole app" onclick={go(LessonMove::Leave)}>{"Leave"}</button>
                </span>
            </div>
            if *show_qr {
                <QrCode link={address::with_param("lesson", Some(&n.to_string()))} />
            }
            <p class="lesson-text">{step.text}</p>
            if step.figure == Some(Figure::Shifts) {
                <ShiftFigure />
            }
            <div class="lesson-controls">
                <button class="button" data-testid="lesson-prev" disabled={n == 1} onclick={go(LessonMove::Back)}>{"← Back"}</button>
                {action.unwrap_or_default()}
                <ol class="lesson-dots" aria-label="Steps">
                    { for (1..=last).map(|i| html! {
                        <li><button class={classes!("dot-step", (i == n).then_some("current"))} aria-current={(i == n).then_some("step")}
                                    aria-label={format!("Step {i}: {}", STEPS[i - 1].title)} onclick={go(LessonMove::To(i))} /></li>
                    }) }
                </ol>
                <button class="button primary" data-testid="lesson-next" disabled={n == last} onclick={go(LessonMove::Next)}>{"Next →"}</button>
            </div>
        </section>
    }
}

/// The lesson's measured figure for the CNN step: accuracy as the garment moves, per model,
/// as bars (from `lesson/shifts.json`, written by the native trainer).
#[component]
fn ShiftFigure() -> Html {
    let figures = use_state(|| None::<Result<Vec<ShiftFigures>, String>>);
    {
        let figures = figures.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let read = fetch_bytes(SHIFTS_FILE).await.and_then(|bytes| read_shift_figures(&bytes));
                figures.set(Some(read));
            });
        });
    }
    let body = match &*figures {
        None => html! { <p class="hint">{"Loading the measured figures…"}</p> },
        Some(Err(why)) => html! { <p class="hint">{format!("The measured figures could not be read ({why}).")}</p> },
        Some(Ok(figures)) => {
            let shifts = figures.iter().map(|f| f.accuracy.len()).max().unwrap_or(0);
            html! {
                <table class="shift-table">
                    <thead><tr><th>{"Moved by"}</th>{ for (0..shifts).map(|d| html! { <th>{format!("{d} px")}</th> }) }</tr></thead>
                    <tbody>{ for figures.iter().map(|f| html! {
                        <tr data-testid="shift-row" data-model={f.model.clone()}>
                            <th>{f.model.clone()}</th>
                            { for f.accuracy.iter().map(|a| html! {
                                <td data-value={a.to_string()}>
                                    <span class="shift-bar" style={format!("width: {:.1}%", a * 100.0)} />
                                    <span class="shift-value">{format!("{:.0}%", a * 100.0)}</span>
                                </td>
                            }) }
                        </tr>
                    }) }</tbody>
                </table>
            }
        }
    };
    html! {
        <figure class="shift-figure" data-testid="shift-figure">
            <figcaption>{"Measured accuracy, test pictures moved (both trained on unmoved ones)"}</figcaption>
            {body}
        </figure>
    }
}
