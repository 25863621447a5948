//! The loss and accuracy charts: the live run by training step, or, when two or more runs are
//! ticked for overlay, those runs together by epoch (batch sizes differ, epochs compare).

use std::rc::Rc;

use plotters::style::RGBColor;
use yew::prelude::*;

use crate::metrics::smooth;
use crate::protocol::{EpochReport, RunSettings, StepReport};
use crate::state::run::RunView;
use crate::state::runs::{RunRecord, run_color};
use crate::ui::panels::chart::{LineChart, Series};

const TRAIN: RGBColor = RGBColor(47, 75, 216);
const VALIDATION: RGBColor = RGBColor(214, 118, 0);
const TEST: RGBColor = RGBColor(31, 138, 76);
/// TensorBoard-like light smoothing of the per-step curves.
const SMOOTHING: f32 = 0.8;

type Points = Rc<Vec<(f64, f64)>>;

#[derive(Properties, PartialEq)]
pub struct TrainingChartsProps {
    pub run: RunView,
    pub runs: Rc<Vec<RunRecord>>,
    /// Recorded runs to overlay with the compared ones (the lesson's: `state::recorded`).
    #[prop_or_default]
    pub recorded: Rc<Vec<RunRecord>>,
    /// On a lesson step that trains: the settings of its runs. Only the session's runs of these
    /// settings are overlaid (the live one included), not every run ticked for comparison.
    #[prop_or_default]
    pub step_runs: Option<Rc<Vec<RunSettings>>>,
}

/// Raw and smoothed per-step values against `x` of each step.
fn per_step(steps: &[StepReport], x: fn(&StepReport) -> f64, value: fn(&StepReport) -> f32) -> (Points, Points) {
    let raw: Vec<f32> = steps.iter().map(value).collect();
    let smoothed = smooth(&raw, SMOOTHING);
    let pair = |values: &[f32]| Rc::new(values.iter().zip(steps).map(|(&v, s)| (x(s), v as f64)).collect::<Vec<_>>());
    (pair(&raw), pair(&smoothed))
}

fn per_epoch(epochs: &[EpochReport], x: impl Fn(&EpochReport) -> f64, value: fn(&EpochReport) -> f32) -> Points {
    Rc::new(epochs.iter().map(|e| (x(e), value(e) as f64)).collect())
}

fn line(
    name: impl Into<AttrValue>,
    color: RGBColor,
    points: Points,
    width: f64,
    opacity: f64,
    legend: bool,
    markers: bool,
) -> Series {
    Series { name: name.into(), color, points, width, opacity, legend, markers }
}

fn global_step(s: &StepReport) -> f64 {
    s.info.global_step as f64
}

fn fractional_epoch(s: &StepReport) -> f64 {
    (s.info.epoch - 1) as f64 + s.info.step as f64 / s.info.steps_per_epoch.max(1) as f64
}

/// The live run: raw and smoothed training values per step, validation and test per epoch.
fn live_series(run: &RunView, value: fn(&StepReport) -> f32, epoch_value: [fn(&EpochReport) -> f32; 2]) -> Vec<Series> {
    let steps_per_epoch = run.last_step().map_or(1, |s| s.info.steps_per_epoch) as f64;
    let at_epoch_end = |e: &EpochReport| e.epoch as f64 * steps_per_epoch;
    let (raw, smoothed) = per_step(&run.steps, global_step, value);
    vec![
        line("training (per batch)", TRAIN, raw, 1.0, 0.35, false, false),
        line("training", TRAIN, smoothed, 3.0, 1.0, true, false),
        line("validation", VALIDATION, per_epoch(&run.epochs, at_epoch_end, epoch_value[0]), 3.0, 1.0, true, true),
        line("test", TEST, per_epoch(&run.epochs, at_epoch_end, epoch_value[1]), 3.0, 1.0, true, true),
    ]
}

/// Overlaid runs: each run's smoothed training curve (thin) and its test values per epoch
/// (bold, with dots), in the run's colour.
/// Each compared run's curves; its legend entry carries its newest test figure (`figure`), so
/// the finished runs' results read off the chart itself, as a class sees it from afar.
fn overlay_series(
    runs: &[&RunRecord],
    value: fn(&StepReport) -> f32,
    test_value: fn(&EpochReport) -> f32,
    figure: fn(f32) -> String,
) -> Vec<Series> {
    runs.iter()
        .flat_map(|run| {
            let (r, g, b) = run_color(run.id);
            let color = RGBColor(r, g, b);
            let (_, smoothed) = per_step(&run.steps, fractional_epoch, value);
            let test = per_epoch(&run.epochs, |e| e.epoch as f64, test_value);
            let last = run.epochs.last().map_or_else(String::new, |e| format!(": {}", figure(test_value(e))));
            [
                line(format!("{} training", run.label()), color, smoothed, 1.5, 0.55, false, false),
                line(format!("{} test{last}", run.label()), color, test, 3.0, 1.0, true, true),
            ]
        })
        .collect()
}

#[component]
pub fn TrainingCharts(props: &TrainingChartsProps) -> Html {
    let shown = |run: &RunRecord| props.step_runs.as_ref().map_or(run.compare, |step| step.contains(&run.settings));
    let compared: Vec<&RunRecord> = props.runs.iter().filter(|r| shown(r)).chain(props.recorded.iter()).collect();
    let overlay = compared.len() >= 2 || !props.recorded.is_empty();
    let (loss, accuracy) = if overlay {
        (
            overlay_series(&compared, |s| s.loss, |e| e.test_loss(), |loss| format!("{loss:.3}")),
            overlay_series(&compared, |s| s.accuracy, |e| e.test_accuracy(), |a| format!("{:.1} %", a * 100.0)),
        )
    } else {
        (
            live_series(&props.run, |s| s.loss, [|e| e.validation_loss(), |e| e.test_loss()]),
            live_series(&props.run, |s| s.accuracy, [|e| e.validation_accuracy(), |e| e.test_accuracy()]),
        )
    };
    let (x_label, x_unit, x_min_span) =
        if overlay { ("epoch", "epoch", 1.0) } else { ("training step (batches)", "step", 10.0) };
    html! {
        <div class="charts-wrap" data-testid="charts" data-mode={if overlay { "overlay" } else { "live" }}
             data-runs={compared.iter().map(|r| r.id.to_string()).collect::<Vec<_>>().join(",")}>
            if overlay {
                <p class="hint">{format!("Comparing {} runs by epoch: thin lines are training (smoothed), dots are the test set. \
                                          Untick runs in the table below to go back to the live view.", compared.len())}</p>
            }
            <div class="charts">
                <LineChart testid="chart-loss" title="Loss (cross-entropy, lower is better)"
                           {x_label} y_label="loss" series={loss} {x_unit} {x_min_span} />
                <LineChart testid="chart-accuracy" title="Accuracy (higher is better)"
                           {x_label} y_label="accuracy" series={accuracy} {x_unit} {x_min_span}
                           y_range={Some((0.0, 1.0))} percent=true />
            </div>
        </div>
    }
}
