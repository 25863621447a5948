//! Every run of the session: its settings, its curves, its latest evaluation, and the table
//! that lists them, picks which to overlay, and which one the evaluation views show.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::metrics::ClassifiedSet;
use crate::protocol::{BackendKind, EpochPoint, ModelChoice, RunPhase, RunSettings, StepPoint};

/// A classified test set, compared by pointer (10,000 rows are not worth comparing per render).
#[derive(Clone, Debug)]
pub struct EvalRef(pub Rc<ClassifiedSet>);

impl PartialEq for EvalRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

const STARTING: &str = "Starting…";

#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// 1-based, in start order.
    pub id: u32,
    pub settings: RunSettings,
    pub backend: Option<BackendKind>,
    pub phase: RunPhase,
    pub steps: Rc<Vec<StepPoint>>,
    pub epochs: Rc<Vec<EpochPoint>>,
    /// The test set as classified after the latest epoch, and that epoch.
    pub evaluation: Option<(usize, EvalRef)>,
    /// Drawn in the comparison overlay.
    pub compare: bool,
    /// The global step of the latest checkpoint (stored, or about to be).
    pub checkpoint_step: Option<usize>,
    /// Checkpoint bytes not yet written to storage.
    pub unsaved_checkpoint: Option<Rc<Vec<u8>>>,
    /// Restored after a reload while it was training: resumable from its checkpoint.
    pub interrupted: bool,
}

impl RunRecord {
    pub fn new(
        id: u32,
        settings: RunSettings,
        backend: Option<BackendKind>,
        compare: bool,
    ) -> Self {
        let phase = RunPhase::Preparing(STARTING.into());
        Self {
            id,
            settings,
            backend,
            phase,
            steps: Rc::default(),
            epochs: Rc::default(),
            evaluation: None,
            compare,
            checkpoint_step: None,
            unsaved_checkpoint: None,
            interrupted: false,
        }
    }

    /// Listed by the page, not yet acknowledged by the engine.
    pub fn is_unstarted(&self) -> bool {
        matches!(&self.phase, RunPhase::Preparing(what) if what == STARTING)
            && self.steps.is_empty()
    }

    pub fn is_active(&self) -> bool {
        matches!(
            self.phase,
            RunPhase::Preparing(_) | RunPhase::Running | RunPhase::Paused
        )
    }

    /// "#2 Dense 128-128 ReLU", short enough for a legend.
    pub fn label(&self) -> String {
        format!("#{} {}", self.id, short_name(&self.settings))
    }

    /// Can continue from its checkpoint: stopped, failed or interrupted before its last epoch.
    pub fn is_resumable(&self) -> bool {
        let unfinished = self.epochs.last().is_none_or(|e| e.epoch < e.epochs);
        self.checkpoint_step.is_some()
            && unfinished
            && !self.is_active()
            && (self.interrupted
                || matches!(
                    self.phase,
                    RunPhase::Done {
                        stopped_early: true
                    } | RunPhase::Error(_)
                ))
    }

    pub fn test_accuracy(&self) -> Option<f32> {
        self.epochs
            .last()
            .map(|e| e.test_accuracy)
            .filter(|a| a.is_finite())
    }

    /// Wall time so far: evaluations included once an epoch has ended.
    pub fn seconds(&self) -> Option<f64> {
        let from_epoch = self.epochs.last().map(|e| e.elapsed_seconds);
        let from_step = self.steps.last().map(|s| s.elapsed_seconds);
        match (from_epoch, from_step) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The model in a few words: what tells runs of a comparison apart.
pub fn short_name(s: &RunSettings) -> String {
    match s.model {
        ModelChoice::Dense => {
            let hidden: Vec<String> = s.hidden.iter().map(|h| h.to_string()).collect();
            let dropout = if s.dropout > 0.0 {
                format!(" + dropout {}", s.dropout)
            } else {
                String::new()
            };
            format!(
                "Dense {} {}{dropout}",
                hidden.join("-"),
                s.activation.name().to_uppercase()
            )
        }
        other => other.title().to_string(),
    }
}

/// Everything else about a run's settings, for the table.
pub fn training_summary(s: &RunSettings) -> String {
    let optimizer = if s.optimizer == "sgd" {
        if s.momentum > 0.0 {
            format!("SGD+momentum {}", s.learning_rate)
        } else {
            format!("SGD {}", s.learning_rate)
        }
    } else {
        format!("Adam {}", s.learning_rate)
    };
    let images = s
        .train_subset
        .map_or("all images".to_string(), |n| format!("{n} images"));
    format!(
        "{optimizer} · batch {} · {} epochs · {images}",
        s.batch_size, s.epochs
    )
}

/// Colours that stay apart on a projector, one per run (cycled).
pub const RUN_COLORS: [(u8, u8, u8); 8] = [
    (47, 75, 216),
    (214, 118, 0),
    (31, 138, 76),
    (192, 57, 43),
    (130, 70, 180),
    (0, 150, 170),
    (120, 90, 40),
    (220, 60, 150),
];

pub fn run_color(id: u32) -> (u8, u8, u8) {
    RUN_COLORS[(id as usize - 1) % RUN_COLORS.len()]
}

fn status(run: &RunRecord) -> (&'static str, String) {
    if run.interrupted {
        return ("interrupted", "interrupted".into());
    }
    match &run.phase {
        RunPhase::Idle => ("idle", "—".into()),
        RunPhase::Preparing(_) | RunPhase::Running => ("running", "training".into()),
        RunPhase::Paused => ("paused", "paused".into()),
        RunPhase::Done {
            stopped_early: true,
        } => ("stopped", "stopped".into()),
        RunPhase::Done { .. } => ("done", "finished".into()),
        RunPhase::Error(_) => ("error", "failed".into()),
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
        let on_compare = props
            .on_compare
            .reform(move |e: Event| (id, e.target_unchecked_into::<HtmlInputElement>().checked()));
        let on_show = props.on_show.reform(move |_| id);
        let on_resume = props.on_resume.reform(move |_| id);
        let on_delete = props.on_delete.reform(move |_| id);
        let (r, g, b) = run_color(id);
        let accuracy = run.test_accuracy();
        let shown = props.shown == Some(id);
        html! {
            <tr data-testid="run-item" data-run-id={id.to_string()} data-state={state}
                data-checkpoint-step={run.checkpoint_step.map(|s| s.to_string()).unwrap_or_default()}
                data-steps={run.steps.last().map_or(0, |s| s.global_step).to_string()} class={classes!(shown.then_some("shown"))}
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
                    if run.is_resumable() {
                        <button class="button small primary" data-testid="run-resume" disabled={props.busy} onclick={on_resume}
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
