//! The live figures of a run: numbers a class can read from the back of the room.

use yew::prelude::*;

use crate::state::run::RunView;

#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    pub run: RunView,
}

fn readout(testid: &str, label: &str, value: Option<f64>, text: String) -> Html {
    html! {
        <div class="metric" data-testid={testid.to_string()}
             data-value={value.map(|v| format!("{v}")).unwrap_or_default()}>
            <span class="metric-label">{label}</span>
            <span class="metric-value">{value.map(|_| text).unwrap_or_else(|| "–".into())}</span>
        </div>
    }
}

fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 60 { format!("{}m {:02}s", s / 60, s % 60) } else { format!("{s}s") }
}

#[component]
pub fn Metrics(props: &MetricsProps) -> Html {
    let run = &props.run;
    let step = run.last_step();
    let epoch = run.last_epoch();
    // Averaged over the last 20 batches: one batch is too noisy to read.
    let recent = run.recent(20);
    // Already wall-clock over the last ~2 s (the engine's `Pace`): shown as it comes.
    let throughput = step.map(|s| s.info.images_per_second);
    // Data-parallel training says on how many cores (`engine::replicas`), short enough to fit
    // the card on one line as its neighbours do.
    let workers = step.map_or(1, |s| s.info.workers);
    let throughput_label = if workers > 1 { format!("Img/s · {workers} cores") } else { "Images / s".into() };
    let finished = matches!(run.phase, crate::protocol::RunState::Done { .. });
    let running = matches!(run.phase, crate::protocol::RunState::Running | crate::protocol::RunState::Paused);
    let epoch_progress = step.map(|s| s.info.step as f64 / s.info.steps_per_epoch.max(1) as f64).unwrap_or(0.0);
    let run_progress = step.map(|s| s.info.global_step as f64 / s.info.total_steps.max(1) as f64).unwrap_or(0.0);

    html! {
        <div class="metrics">
            <div class="metric-grid">
                { readout("metric-epoch", "Epoch", step.map(|s| s.info.epoch as f64),
                    step.map(|s| format!("{} / {}", s.info.epoch, s.info.total_steps / s.info.steps_per_epoch.max(1))).unwrap_or_default()) }
                { readout("metric-loss", "Loss", recent.map(|r| r.0 as f64), recent.map(|r| format!("{:.3}", r.0)).unwrap_or_default()) }
                { readout("metric-accuracy", "Batch accuracy", recent.map(|r| r.1 as f64),
                    recent.map(|r| format!("{:.1}%", r.1 * 100.0)).unwrap_or_default()) }
                { readout("metric-test-accuracy", "Test accuracy", epoch.map(|e| e.test_accuracy() as f64),
                    epoch.map(|e| format!("{:.2}%", e.test_accuracy() * 100.0)).unwrap_or_default()) }
                { readout("metric-throughput", &throughput_label, throughput, throughput.map(|t| format!("{t:.0}")).unwrap_or_default()) }
                if finished {
                    { readout("metric-eta", "Took", epoch.map(|e| e.elapsed_seconds),
                        epoch.map(|e| duration(e.elapsed_seconds)).unwrap_or_default()) }
                } else {
                    { readout("metric-eta", "Time left", step.filter(|_| running).map(|s| s.info.eta_seconds),
                        step.map(|s| duration(s.info.eta_seconds)).unwrap_or_default()) }
                }
            </div>
            <div class="progress-row">
                <span>{"Epoch"}</span>
                <progress data-testid="progress-epoch" value={epoch_progress.to_string()} max="1" />
                <span>{"Run"}</span>
                <progress data-testid="progress-run" value={run_progress.to_string()} max="1" />
            </div>
            if let Some(e) = epoch {
                <p class="epoch-line" data-testid="epoch-summary">
                    {format!("After epoch {}: validation {:.2}% (loss {:.3}), test {:.2}%", e.epoch,
                        e.validation_accuracy() * 100.0, e.validation_loss(), e.test_accuracy() * 100.0)}
                    if let Some(m) = run.memory {
                        <span class="memory" data-testid="engine-memory" data-epoch={m.epoch.to_string()}
                              data-wasm-bytes={m.wasm_bytes.to_string()}
                              data-device-bytes={m.device_bytes_in_use.map(|b| b.to_string()).unwrap_or_default()}
                              data-device-reserved={m.device_bytes_reserved.map(|b| b.to_string()).unwrap_or_default()}>
                            {format!(" · engine memory {:.0} MB", m.wasm_bytes / 1e6)}
                            {m.device_bytes_reserved.map(|b| format!(", GPU {:.0} MB", b as f64 / 1e6)).unwrap_or_default()}
                        </span>
                    }
                </p>
            }
        </div>
    }
}
