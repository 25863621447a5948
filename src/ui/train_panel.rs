//! Training controls: the model and its hyper-parameters, Start / Pause / Stop / Reset, the
//! backend in use, and the live figures.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::run_state::RunView;
use crate::protocol::{Activation, ModelChoice, RunPhase, RunSettings, ToEngine};

#[derive(Properties, PartialEq)]
pub struct TrainPanelProps {
    pub run: RunView,
    /// Every run, for the comparison overlay of the charts.
    pub runs: std::rc::Rc<Vec<super::runs::RunRecord>>,
    pub data_ready: bool,
    pub on_command: Callback<ToEngine>,
    pub on_settings: Callback<RunSettings>,
}

/// A `<select>` over `(value, label)` pairs that reports the chosen value.
fn select(testid: &str, label: &str, value: String, options: Vec<(String, String)>, disabled: bool, on: Callback<String>) -> Html {
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

#[component]
pub fn TrainPanel(props: &TrainPanelProps) -> Html {
    let TrainPanelProps { run, runs, data_ready, on_command, on_settings } = props;
    let s = &run.settings;
    let active = matches!(run.phase, RunPhase::Running | RunPhase::Paused | RunPhase::Preparing(_));
    let locked = active;
    let edit = |f: fn(&mut RunSettings, &str)| {
        let (settings, on_settings) = (s.clone(), on_settings.clone());
        Callback::from(move |value: String| {
            let mut next = settings.clone();
            f(&mut next, &value);
            on_settings.emit(next);
        })
    };

    let model = select("model-select", "Model", s.model.name().into(),
        ModelChoice::ALL.iter().map(|m| (m.name().to_string(), m.title().to_string())).collect(), locked,
        edit(|s, v| s.model = ModelChoice::from_name(v).unwrap_or_default()));
    let dense_fields = (s.model == ModelChoice::Dense).then(|| html! { <>
        { select("hidden-select", "Hidden layers", s.hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("-"),
            choices(&["128", "128-128", "256-128", "512-256"], |v| v.replace('-', " → ")), locked,
            edit(|s, v| s.hidden = v.split('-').filter_map(|h| h.parse().ok()).collect())) }
        { select("activation-select", "Activation", s.activation.name().into(),
            Activation::ALL.iter().map(|a| (a.name().to_string(), a.name().to_uppercase())).collect(), locked,
            edit(|s, v| s.activation = Activation::from_name(v).unwrap_or_default())) }
        { select("dropout-select", "Dropout", s.dropout.to_string(), choices(&[0.0, 0.2, 0.5], |d| format!("{d}")), locked,
            edit(|s, v| s.dropout = v.parse().unwrap_or(0.0))) }
    </> });
    let optimizer = select("optimizer-select", "Optimizer", s.optimizer.clone(),
        vec![("adam".into(), "Adam".into()), ("sgd".into(), "SGD".into())], locked,
        edit(|s, v| {
            s.optimizer = v.into();
            s.learning_rate = if v == "sgd" { 0.01 } else { 1e-3 };
        }));
    let lr = select("lr-select", "Learning rate", s.learning_rate.to_string(),
        choices(&[0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1], |v| format!("{v}")), locked,
        edit(|s, v| s.learning_rate = v.parse().unwrap_or(1e-3)));
    let batch = select("batch-select", "Batch size", s.batch_size.to_string(), choices(&[32, 64, 128, 256, 1000], |v| v.to_string()),
        locked, edit(|s, v| s.batch_size = v.parse().unwrap_or(64)));
    let epochs = select("epochs-select", "Epochs", s.epochs.to_string(), choices(&[1, 2, 3, 5, 10, 20], |v| v.to_string()),
        locked, edit(|s, v| s.epochs = v.parse().unwrap_or(5)));
    let subset = select("subset-select", "Training images",
        s.train_subset.map(|n| n.to_string()).unwrap_or_else(|| "all".into()),
        vec![("1000".into(), "1,000 (a quick look)".into()), ("5000".into(), "5,000".into()), ("10000".into(), "10,000".into()),
             ("all".into(), "55,000 (all)".into())],
        locked, edit(|s, v| s.train_subset = v.parse().ok()));
    let backend_value = run.backend.as_ref().map(|(kind, _)| kind.name()).unwrap_or("webgpu").to_string();
    let backend = select("backend-select", "Compute on", backend_value,
        vec![("webgpu".into(), "GPU (WebGPU)".into()), ("cpu".into(), "CPU".into())], locked || run.backend.is_none(),
        on_command.reform(|v: String| ToEngine::ChooseBackend { cpu: v == "cpu" }));
    let on_augment = {
        let (settings, on_settings) = (s.clone(), on_settings.clone());
        Callback::from(move |e: Event| {
            let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
            on_settings.emit(RunSettings { augment: checked, ..settings.clone() });
        })
    };

    let start = {
        let (on_command, settings) = (on_command.clone(), s.clone());
        Callback::from(move |_| on_command.emit(ToEngine::Start(settings.clone())))
    };
    let paused = run.phase == RunPhase::Paused;
    let pause = on_command.reform(move |_| if paused { ToEngine::Resume } else { ToEngine::Pause });
    let stop = on_command.reform(|_| ToEngine::Stop);
    let reset = on_command.reform(|_| ToEngine::Reset);
    let can_start = *data_ready && !active && run.backend.is_some();

    html! {
        <section class="card train-card" aria-label="Training">
            <div class="card-head">
                <h2>{"Train a model"}</h2>
                <BackendBadge run={run.clone()} />
            </div>
            <fieldset class="settings" disabled={locked}>
                {model}
                {dense_fields.unwrap_or_default()}
                {optimizer}{lr}{batch}{epochs}{subset}{backend}
                <label class="field check">
                    <input type="checkbox" data-testid="augment-toggle" checked={s.augment} onchange={on_augment} />
                    <span>{"Random shifts (augmentation)"}</span>
                </label>
            </fieldset>
            if locked {
                <p class="hint">{"Settings are locked while a run is active: Stop or Reset to change them."}</p>
            }
            <div class="controls">
                <button class="button primary" data-testid="train-start" disabled={!can_start} onclick={start}>{"Start training"}</button>
                <button class="button" data-testid="train-pause" disabled={!matches!(run.phase, RunPhase::Running | RunPhase::Paused)}
                        onclick={pause}>{if paused { "Resume" } else { "Pause" }}</button>
                <button class="button" data-testid="train-stop" disabled={!active} onclick={stop}>{"Stop"}</button>
                <button class="button" data-testid="train-reset" disabled={active || run.phase == RunPhase::Idle} onclick={reset}>{"Reset"}</button>
                <RunStateBadge phase={run.phase.clone()} step={run.last_step().map_or(0, |s| s.global_step)} />
            </div>
            if !*data_ready {
                <p class="hint">{"Training starts once the dataset has loaded."}</p>
            }
            if let Some(notice) = &run.notice {
                <p class="notice" role="status" data-testid="train-notice">{notice}</p>
            }
            <super::metrics::Metrics run={run.clone()} />
            // Mounted from the start: the first canvas draw is the costly one, so it happens at
            // page load rather than as a long task in the middle of training.
            <super::training_charts::TrainingCharts run={run.clone()} runs={runs.clone()} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct BadgeProps {
    run: RunView,
}

#[component]
fn BackendBadge(props: &BadgeProps) -> Html {
    let check = props.run.device_check;
    let loss_difference = check.map(|c| (c.loss_gpu - c.loss_cpu).abs().to_string()).unwrap_or_default();
    let gradient_difference = check.map(|c| c.gradient_difference.to_string()).unwrap_or_default();
    match &props.run.backend {
        Some((kind, detail)) => html! {
            <span class={classes!("backend", kind.name())} data-testid="backend" data-value={kind.name()} title={detail.clone()}
                  data-check-loss-difference={loss_difference} data-check-gradient-difference={gradient_difference}>
                <strong>{if kind.name() == "webgpu" { "WebGPU" } else { "CPU" }}</strong>
                <span class="backend-detail">{detail}</span>
            </span>
        },
        None => html! { <span class="backend" data-testid="backend" data-value="">{"Starting the engine…"}</span> },
    }
}

#[derive(Properties, PartialEq)]
struct StateProps {
    phase: RunPhase,
    /// Steps reported so far in this run (tests watch it to see training move or stop).
    step: usize,
}

#[component]
fn RunStateBadge(props: &StateProps) -> Html {
    let text = match &props.phase {
        RunPhase::Idle => "Ready to train".to_string(),
        RunPhase::Preparing(what) => what.clone(),
        RunPhase::Running => "Training…".into(),
        RunPhase::Paused => "Paused".into(),
        RunPhase::Done { stopped_early: true } => "Stopped".into(),
        RunPhase::Done { .. } => "Finished".into(),
        RunPhase::Error(message) => message.clone(),
    };
    html! {
        <span class={classes!("run-state", props.phase.name())} data-testid="train-state" data-state={props.phase.name()}
              data-step={props.step.to_string()} data-readback={super::engine_link::readback_every().to_string()}
              role="status">{text}</span>
    }
}
