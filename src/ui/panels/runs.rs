//! The table of every run: which to overlay, which one the evaluation views show, resume,
//! take over from another tab, and delete.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::protocol::BackendKind;
use crate::protocol::RunState;
use crate::state::runs::{RunRecord, run_color, training_summary};

fn status(run: &RunRecord) -> (&'static str, String) {
    if run.elsewhere {
        return ("elsewhere", "in another tab".into());
    }
    if run.interrupted {
        return ("interrupted", "interrupted".into());
    }
    match &run.phase {
        RunState::Idle => ("idle", "—".into()),
        RunState::Running => ("running", "training".into()),
        RunState::Paused => ("paused", "paused".into()),
        RunState::Done { stopped_early: true } => ("stopped", "stopped".into()),
        RunState::Done { .. } => ("done", "finished".into()),
        RunState::Error(_) => ("error", "failed".into()),
    }
}

fn duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        format!("{}:{:02} min", (seconds / 60.0) as u64, seconds as u64 % 60)
    }
}

#[derive(Properties, PartialEq)]
pub struct RunListProps {
    pub runs: Rc<Vec<RunRecord>>,
    /// The run the evaluation views show.
    pub shown: Option<u32>,
    pub queued: usize,
    pub on_compare: Callback<(u32, bool)>,
    pub on_show: Callback<u32>,
    pub on_resume: Callback<u32>,
    pub on_delete: Callback<u32>,
    /// A run is active: no resume, no delete of the current one.
    pub busy: bool,
    /// A run whose Resume waits for the engine to be ready.
    #[prop_or_default]
    pub waiting: Option<u32>,
    /// Asks the tab that trains a run to hand it over to this one.
    pub on_take_over: Callback<u32>,
    /// The run asked over, until the other tab lets it go.
    #[prop_or_default]
    pub takeover: Option<u32>,
}

#[component]
pub fn RunList(props: &RunListProps) -> Html {
    if props.runs.is_empty() {
        return html! {
            <p class="hint" data-testid="run-list" data-count="0">
                {"Every run you start is kept here with its settings and final figures. Tick runs to overlay their curves."}
            </p>
        };
    }
    let row = |run: &RunRecord| {
        let id = run.id;
        let (state, text) = status(run);
        let on_compare =
            props.on_compare.reform(move |e: Event| (id, e.target_unchecked_into::<HtmlInputElement>().checked()));
        let on_show = props.on_show.reform(move |_| id);
        let on_resume = props.on_resume.reform(move |_| id);
        let on_take_over = props.on_take_over.reform(move |_| id);
        let on_delete = props.on_delete.reform(move |_| id);
        let (r, g, b) = run_color(id);
        let accuracy = run.test_accuracy();
        let shown = props.shown == Some(id);
        html! {
            <tr data-testid="run-item" data-run-id={id.to_string()} data-state={state}
                data-checkpoint-step={run.checkpoint_step.map(|s| s.to_string()).unwrap_or_default()}
                data-steps={run.steps.last().map_or(0, |s| s.info.global_step).to_string()} class={classes!(shown.then_some("shown"))}
                data-test-accuracy={accuracy.map(|a| a.to_string()).unwrap_or_default()}
                data-backend={run.backend.map(|b| b.name()).unwrap_or_default()} data-compare={run.compare.to_string()}>
                <td>
                    <input type="checkbox" data-testid="run-compare" checked={run.compare} onchange={on_compare}
                           aria-label={format!("Overlay run {id} on the charts")} />
                </td>
                <td>
                    <span class="swatch" style={format!("background: rgb({r},{g},{b})")} aria-hidden="true" />
                    <strong>{run.label()}</strong>
                    <div class="run-detail">{training_summary(&run.settings)}</div>
                </td>
                <td class={classes!("run-status", state)}>{text}</td>
                <td class="num">{run.epochs.last().map(|e| format!("{}/{}", e.epoch, e.epochs)).unwrap_or_else(|| format!("0/{}", run.settings.epochs))}</td>
                <td class="num strong">{accuracy.map(|a| format!("{:.2}%", a * 100.0)).unwrap_or_else(|| "—".into())}</td>
                <td class="num">{run.seconds().map(duration).unwrap_or_else(|| "—".into())}</td>
                <td>{run.backend.map(|b| if b == BackendKind::WebGpu { "WebGPU" } else { "CPU" }).unwrap_or("—")}</td>
                <td>
                    <button class="button small" data-testid="run-show" disabled={run.evaluation.is_none() || shown} onclick={on_show}>
                        {if shown { "Shown" } else { "Evaluate" }}
                    </button>
                    if run.elsewhere && props.takeover == Some(id) {
                        <span class="run-waiting" data-testid="run-takeover-waiting" role="status">{"Asking the other tab…"}</span>
                    } else if run.elsewhere {
                        <button class="button small" data-testid="run-takeover" disabled={props.busy || props.takeover.is_some()}
                                onclick={on_take_over} title="Stop it in the other tab and continue it here">{"Take over"}</button>
                    }
                    if run.is_resumable() && props.waiting == Some(id) {
                        <span class="run-waiting" data-testid="run-resume-waiting" role="status">{"Resumes when the engine is ready…"}</span>
                    } else if run.is_resumable() {
                        <button class="button small primary" data-testid="run-resume" disabled={props.busy || props.waiting.is_some()} onclick={on_resume}
                                title={format!("Continue from step {}", run.checkpoint_step.unwrap_or(0))}>{"Resume"}</button>
                    }
                    <button class="button small quiet" data-testid="run-delete" disabled={run.is_active()} onclick={on_delete}
                            aria-label={format!("Delete run {id}")} title="Delete this run and its checkpoint">{"✕"}</button>
                </td>
            </tr>
        }
    };
    html! {
        <div class="table-wrap">
            <table class="run-table" data-testid="run-list" data-count={props.runs.len().to_string()}>
                <thead>
                    <tr>
                        <th title="Overlay on the charts">{"Overlay"}</th><th>{"Run"}</th><th>{"Status"}</th><th class="num">{"Epochs"}</th>
                        <th class="num">{"Test accuracy"}</th><th class="num">{"Time"}</th><th>{"Backend"}</th><th></th>
                    </tr>
                </thead>
                <tbody>{ for props.runs.iter().rev().map(row) }</tbody>
            </table>
            if props.queued > 0 {
                <p class="hint" data-testid="run-queue">{format!("{} more run(s) of the preset queued; Stop cancels them.", props.queued)}</p>
            }
        </div>
    }
}
