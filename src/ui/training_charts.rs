//! The live loss and accuracy charts of the current run.

use std::rc::Rc;

use plotters::style::RGBColor;
use yew::prelude::*;

use super::chart::{LineChart, Series};
use super::run_state::RunView;
use crate::metrics::smooth;
use crate::protocol::{EpochPoint, StepPoint};

const TRAIN: RGBColor = RGBColor(47, 75, 216);
const VALIDATION: RGBColor = RGBColor(214, 118, 0);
const TEST: RGBColor = RGBColor(31, 138, 76);
/// TensorBoard-like light smoothing of the per-step curves.
const SMOOTHING: f32 = 0.8;

#[derive(Properties, PartialEq)]
pub struct TrainingChartsProps {
    pub run: RunView,
}

fn per_step(steps: &[StepPoint], value: fn(&StepPoint) -> f32) -> (Rc<Vec<(f64, f64)>>, Rc<Vec<(f64, f64)>>) {
    let raw: Vec<f32> = steps.iter().map(value).collect();
    let x = |i: usize| steps[i].global_step as f64;
    let smoothed = smooth(&raw, SMOOTHING);
    (
        Rc::new(raw.iter().enumerate().map(|(i, &v)| (x(i), v as f64)).collect()),
        Rc::new(smoothed.iter().enumerate().map(|(i, &v)| (x(i), v as f64)).collect()),
    )
}

fn per_epoch(epochs: &[EpochPoint], steps_per_epoch: usize, value: fn(&EpochPoint) -> f32) -> Rc<Vec<(f64, f64)>> {
    Rc::new(epochs.iter().map(|e| ((e.epoch * steps_per_epoch) as f64, value(e) as f64)).collect())
}

fn series(name: &'static str, color: RGBColor, points: Rc<Vec<(f64, f64)>>, faint: bool, markers: bool) -> Series {
    Series { name, color, points, faint, markers }
}

#[component]
pub fn TrainingCharts(props: &TrainingChartsProps) -> Html {
    let run = &props.run;
    let steps_per_epoch = run.last_step().map_or(1, |s| s.steps_per_epoch);
    let (loss_raw, loss_smooth) = per_step(&run.steps, |s| s.loss);
    let (acc_raw, acc_smooth) = per_step(&run.steps, |s| s.accuracy);
    let loss = vec![
        series("training (per batch)", TRAIN, loss_raw, true, false),
        series("training", TRAIN, loss_smooth, false, false),
        series("validation", VALIDATION, per_epoch(&run.epochs, steps_per_epoch, |e| e.validation_loss), false, true),
        series("test", TEST, per_epoch(&run.epochs, steps_per_epoch, |e| e.test_loss), false, true),
    ];
    let accuracy = vec![
        series("training (per batch)", TRAIN, acc_raw, true, false),
        series("training", TRAIN, acc_smooth, false, false),
        series("validation", VALIDATION, per_epoch(&run.epochs, steps_per_epoch, |e| e.validation_accuracy), false, true),
        series("test", TEST, per_epoch(&run.epochs, steps_per_epoch, |e| e.test_accuracy), false, true),
    ];
    html! {
        <div class="charts">
            <LineChart testid="chart-loss" title="Loss (cross-entropy, lower is better)"
                       x_label="training step (batches)" y_label="loss" series={loss} />
            <LineChart testid="chart-accuracy" title="Accuracy (higher is better)"
                       x_label="training step (batches)" y_label="accuracy" series={accuracy}
                       y_range={Some((0.0, 1.0))} percent=true legend_low=true />
        </div>
    }
}
