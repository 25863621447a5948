//! Training controls: the model and its hyper-parameters, Start / Pause / Stop / Reset, the
//! backend in use, and the live figures.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::protocol::{
    Activation, BackendKind, GpuStatus, LrSchedule, ModelChoice, OptimizerKind, RunEvent, RunSettings, RunState,
    ToEngine,
};
use crate::state::link::{self, OFFERED, hidden_name, images_name};
use crate::state::run::{Pending, RunView};
use crate::state::runs::RunRecord;

#[derive(Properties, PartialEq)]
pub struct TrainPanelProps {
    pub run: RunView,
    /// Every run, for the comparison overlay of the charts.
    pub runs: std::rc::Rc<Vec<crate::state::runs::RunRecord>>,
    pub data_ready: bool,
    pub on_command: Callback<ToEngine>,
    /// Start a run with these settings.
    pub on_start: Callback<RunSettings>,
    pub on_settings: Callback<RunSettings>,
    /// What the page's link asked for and could not have.
    pub link_notes: Vec<String>,
    /// In the lesson the step's button starts the run: the form gives way to the curves.
    #[prop_or_default]
    pub in_lesson: bool,
    /// The lesson step's recorded runs, overlaid on the charts, and the settings of the runs
    /// the step trains (see `charts::TrainingChartsProps`).
    #[prop_or_default]
    pub recorded: Rc<Vec<RunRecord>>,
    #[prop_or_default]
    pub step_runs: Option<Rc<Vec<RunSettings>>>,
}

/// A `<select>` over `(value, label)` pairs that reports the chosen value.
fn select(
    testid: &str,
    label: &str,
    value: String,
    options: Vec<(String, String)>,
    disabled: bool,
    on: Callback<String>,
) -> Html {
    let onchange = on.reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    html! {
        <label class="field">
            <span>{label}</span>
            <select data-testid={testid.to_string()} {disabled} {onchange}>
                { for options.into_iter().map(|(v, l)| { let selected = v == value; html! { <option {selected} value={v}>{l}</option> } }) }
            </select>
        </label>
    }
}

fn choices<T: ToString>(values: &[T], label: impl Fn(&T) -> String) -> Vec<(String, String)> {
    values.iter().map(|v| (v.to_string(), label(v))).collect()
}

/// "1,000 (a quick look)", "55,000 (all)".
fn images_label(images: Option<usize>) -> String {
    match images {
        Some(1000) => "1,000 (a quick look)".into(),
        Some(n) => format!("{},{:03}", n / 1000, n % 1000),
        None => "55,000 (all)".into(),
    }
}

#[component]
pub fn TrainPanel(props: &TrainPanelProps) -> Html {
    let TrainPanelProps {
        run,
        runs,
        data_ready,
        on_command,
        on_start,
        on_settings,
        link_notes,
        in_lesson,
        recorded,
        step_runs,
    } = props;
    let s = &run.settings;
    let active = run.phase.is_active();
    let locked = active;
    let edit = |f: fn(&mut RunSettings, &str)| {
        let (settings, on_settings) = (s.clone(), on_settings.clone());
        Callback::from(move |value: String| {
            let mut next = settings.clone();
            f(&mut next, &value);
            on_settings.emit(next);
        })
    };

    let model = select(
        "model-select",
        "Model",
        s.model.name().into(),
        ModelChoice::ALL.iter().map(|m| (m.name().to_string(), m.title().to_string())).collect(),
        locked,
        edit(|s, v| s.model = ModelChoice::from_name(v).unwrap_or_default()),
    );
    let dense_fields = (s.model == ModelChoice::Dense).then(|| html! { <>
        { select("hidden-select", "Hidden layers", hidden_name(&s.hidden),
            OFFERED.hidden.iter().map(|h| (hidden_name(h), hidden_name(h).replace('-', " → "))).collect(), locked,
            edit(|s, v| s.hidden = v.split('-').filter_map(|h| h.parse().ok()).collect())) }
        { select("activation-select", "Activation", s.activation.name().into(),
            Activation::ALL.iter().map(|a| (a.name().to_string(), a.name().to_uppercase())).collect(), locked,
            edit(|s, v| s.activation = Activation::from_name(v).unwrap_or_default())) }
        { select("dropout-select", "Dropout", s.dropout.to_string(), choices(&OFFERED.dropout, |d| format!("{d}")), locked,
            edit(|s, v| s.dropout = v.parse().unwrap_or(0.0))) }
    </> });
    let optimizer = select(
        "optimizer-select",
        "Optimizer",
        s.optimizer.name().into(),
        vec![("adam".into(), "Adam".into()), ("sgd".into(), "SGD".into())],
        locked,
        edit(|s, v| {
            if let Some(optimizer) = OptimizerKind::from_name(v) {
                s.optimizer = optimizer;
                s.learning_rate = link::offered_learning_rate(optimizer);
            }
        }),
    );
    let lr = select(
        "lr-select",
        "Learning rate",
        s.learning_rate.to_string(),
        choices(&OFFERED.learning_rate, |v| format!("{v}")),
        locked,
        edit(|s, v| s.learning_rate = v.parse().unwrap_or(1e-3)),
    );
    let batch = select(
        "batch-select",
        "Batch size",
        s.batch_size.to_string(),
        choices(&OFFERED.batch, |v| v.to_string()),
        locked,
        edit(|s, v| s.batch_size = v.parse().unwrap_or(64)),
    );
    let epochs = select(
        "epochs-select",
        "Epochs",
        s.epochs.to_string(),
        choices(&OFFERED.epochs, |v| v.to_string()),
        locked,
        edit(|s, v| s.epochs = v.parse().unwrap_or(5)),
    );
    let subset = select(
        "subset-select",
        "Training images",
        images_name(s.train_subset),
        OFFERED.images.iter().map(|n| (images_name(*n), images_label(*n))).collect(),
        locked,
        edit(|s, v| s.train_subset = v.parse().ok()),
    );
    let schedule = select(
        "schedule-select",
        "Rate schedule",
        s.schedule.name().into(),
        vec![("cosine".into(), "Cosine".into()), ("constant".into(), "Constant".into())],
        locked,
        edit(|s, v| s.schedule = LrSchedule::from_name(v).unwrap_or_default()),
    );
    let on_seed = {
        let (settings, on_settings) = (s.clone(), on_settings.clone());
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            match input.value().trim().parse::<u64>().ok().filter(|seed| *seed <= link::MAX_SEED) {
                Some(seed) => on_settings.emit(RunSettings { seed, ..settings.clone() }),
                // Not a seed: the field shows the one in use again.
                None => input.set_value(&settings.seed.to_string()),
            }
        })
    };
    let backend = backend_select(run, locked, on_command);
    let on_augment = {
        let (settings, on_settings) = (s.clone(), on_settings.clone());
        Callback::from(move |e: Event| {
            let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
            on_settings.emit(RunSettings { augment: checked, ..settings.clone() });
        })
    };

    let start = {
        let (on_start, settings) = (on_start.clone(), s.clone());
        Callback::from(move |_| on_start.emit(settings.clone()))
    };
    let paused = run.phase == RunState::Paused;
    let pause = on_command.reform(move |_| if paused { ToEngine::Resume } else { ToEngine::Pause });
    let stop = on_command.reform(|_| ToEngine::Stop);
    let reset = on_command.reform(|_| ToEngine::Reset);
    // The buttons follow the engine's own state machine: what it would refuse is disabled.
    let allows = |event: RunEvent| run.phase.apply(&event).is_ok();
    let can_start = *data_ready && allows(RunEvent::Start) && run.backend.is_some();
    let can_pause = (allows(RunEvent::Pause) || allows(RunEvent::Resume)) && run.pending.is_none();
    let can_reset = allows(RunEvent::Reset) && run.phase != RunState::Idle;

    html! {
        <section class="card train-card" aria-label="Training">
            <div class="card-head">
                <h2>{"Train a model"}</h2>
                <BackendBadge run={run.clone()} />
            </div>
            if !*in_lesson {
                <fieldset class="settings" disabled={locked}>
                    {model}
                    {dense_fields.unwrap_or_default()}
                    {optimizer}{lr}{schedule}{batch}{epochs}{subset}{backend}
                    <label class="field">
                        <span>{"Seed"}</span>
                        <input type="number" min="0" step="1" data-testid="seed-input" value={s.seed.to_string()}
                               onchange={on_seed} title="The same seed and settings train the same run (on the same backend)" />
                    </label>
                    <label class="field check">
                        <input type="checkbox" data-testid="augment-toggle" checked={s.augment} onchange={on_augment} />
                        <span>{"Random shifts (augmentation)"}</span>
                    </label>
                </fieldset>
                <crate::ui::panels::share::ShareLink settings={s.clone()} notes={link_notes.clone()} />
                if locked {
                    <p class="hint">{"Settings are locked while a run is active: Stop or Reset to change them."}</p>
                }
            }
            <div class="controls">
                <button class="button primary" data-testid="train-start" disabled={!can_start} onclick={start}>{"Start training"}</button>
                <button class="button" data-testid="train-pause" disabled={!can_pause}
                        onclick={pause}>{if paused { "Resume" } else { "Pause" }}</button>
                <button class="button" data-testid="train-stop" disabled={!allows(RunEvent::Stop)} onclick={stop}>{"Stop"}</button>
                <button class="button" data-testid="train-reset" disabled={!can_reset} onclick={reset}>{"Reset"}</button>
                <RunStateBadge phase={run.phase.clone()} preparing={run.preparing.clone()} holding={run.holding} pending={run.pending} step={run.last_step().map_or(0, |s| s.info.global_step)} />
            </div>
            if !*data_ready {
                <p class="hint">{"Training starts once the dataset has loaded."}</p>
            }
            if let Some(notice) = &run.notice {
                <p class="notice" role="status" data-testid="train-notice">{notice}</p>
            }
            <crate::ui::panels::live_figures::Metrics run={run.clone()} />
            // Mounted from the start: the first canvas draw is the costly one, so it happens at
            // page load rather than as a long task in the middle of training.
            <crate::ui::panels::charts::TrainingCharts run={run.clone()} runs={runs.clone()} recorded={recorded.clone()} step_runs={step_runs.clone()} />
        </section>
    }
}

/// "Compute on": always the backend in use; WebGPU disabled where it cannot run.
fn backend_select(run: &RunView, locked: bool, on_command: &Callback<ToEngine>) -> Html {
    let Some(report) = run.backend.as_ref() else {
        return select(
            "backend-select",
            "Compute on",
            "cpu".into(),
            vec![("cpu".into(), "Starting…".into())],
            true,
            Callback::noop(),
        );
    };
    let gpu_label = match &report.gpu {
        GpuStatus::Unavailable(_) => "GPU (WebGPU) — not available here",
        GpuStatus::Available { software: true, .. } => "GPU (WebGPU, software)",
        _ => "GPU (WebGPU)",
    };
    let onchange = on_command.reform(|e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        ToEngine::ChooseBackend(if value == "webgpu" { BackendKind::WebGpu } else { BackendKind::Cpu })
    });
    let gpu_disabled = matches!(report.gpu, GpuStatus::Unavailable(_));
    let value = report.kind;
    html! {
        <label class="field">
            <span>{"Compute on"}</span>
            <select data-testid="backend-select" disabled={locked} {onchange}>
                <option value="webgpu" selected={value == BackendKind::WebGpu} disabled={gpu_disabled}>{gpu_label}</option>
                <option value="cpu" selected={value == BackendKind::Cpu}>{"CPU"}</option>
            </select>
        </label>
    }
}

#[derive(Properties, PartialEq)]
struct BadgeProps {
    run: RunView,
}

/// Which backend trains and why: the race's two figures, a software adapter named as such.
#[component]
fn BackendBadge(props: &BadgeProps) -> Html {
    let Some(report) = &props.run.backend else {
        return html! { <span class="backend" data-testid="backend" data-value="">{"Starting the engine…"}</span> };
    };
    let check = report.check;
    let loss_difference = check.map(|c| (c.loss_candidate - c.loss_reference).abs().to_string()).unwrap_or_default();
    let gradient_difference = check.map(|c| c.gradient_difference.to_string()).unwrap_or_default();
    let race = report.race.as_ref();
    let rate = |r: Option<f64>| r.map(|r| format!("{r:.1}")).unwrap_or_default();
    let (adapter, software) = match &report.gpu {
        GpuStatus::Available { adapter, software } => (adapter.clone(), software.to_string()),
        _ => (String::new(), String::new()),
    };
    let kind = report.kind;
    html! {
        <span class={classes!("backend", kind.name(), report.choice.name())} data-testid="backend" data-value={kind.name()}
              data-choice={report.choice.name()} data-cpu-rate={rate(race.and_then(|r| r.cpu))}
              data-gpu-rate={rate(race.and_then(|r| r.gpu))} data-race-ms={race.map(|r| format!("{:.0}", r.seconds * 1000.0)).unwrap_or_default()}
              data-race-complete={race.map(|r| r.complete.to_string()).unwrap_or_default()}
              data-workload={race.map(|r| r.workload.0.clone()).unwrap_or_default()} data-adapter={adapter} data-software={software}
              data-check-loss-difference={loss_difference} data-check-gradient-difference={gradient_difference}>
            <strong>{if kind == BackendKind::WebGpu { "WebGPU" } else { "CPU" }}</strong>
            <span class="backend-detail">{&report.detail}</span>
        </span>
    }
}

#[derive(Properties, PartialEq)]
struct StateProps {
    phase: RunState,
    /// What a starting run is doing, shown instead of "Training…" until its first step.
    preparing: Option<String>,
    /// The run holds its steps while the user draws.
    holding: bool,
    /// A clicked control the engine has not confirmed yet.
    pending: Option<Pending>,
    /// Steps reported so far in this run (tests watch it to see training move or stop).
    step: usize,
}

#[component]
fn RunStateBadge(props: &StateProps) -> Html {
    let text = match &props.phase {
        _ if props.pending.is_some() => props.pending.map(Pending::text).unwrap_or_default().to_string(),
        RunState::Idle => "Ready to train".to_string(),
        RunState::Running if props.holding => "Waiting while you draw".into(),
        RunState::Running => props.preparing.clone().unwrap_or_else(|| "Training…".into()),
        RunState::Paused => "Paused".into(),
        RunState::Done { stopped_early: true } => "Stopped".into(),
        RunState::Done { .. } => "Finished".into(),
        RunState::Error(message) => message.clone(),
    };
    // Why the steps stopped moving: the drawing's answer has the cores the run trains on.
    let title = props
        .holding
        .then_some("Training waits while you draw, so that your drawing is answered at once; it goes on by itself.");
    html! {
        <span class={classes!("run-state", props.phase.name(), props.pending.is_some().then_some("pending"))} data-testid="train-state" title={title}
              data-holding={props.holding.to_string()}
              data-state={props.phase.name()} data-pending={props.pending.map(Pending::name).unwrap_or_default()}
              data-step={props.step.to_string()} data-readback={crate::ui::services::engine_options::readback_every().to_string()}
              role="status">{text}</span>
    }
}
