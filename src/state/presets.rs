//! Ready-made comparisons: a few runs queued with one click and overlaid as they train (the
//! page's buttons: `ui::panels::presets`; the lesson's comparison steps start them too, and the
//! native trainer records them for the lesson: `train --record`).

use crate::protocol::{Activation, LrSchedule, ModelChoice, OptimizerKind, RunSettings};

pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub runs: fn() -> Vec<RunSettings>,
}

/// The blog comparison: the same dense 128-128 network with three hidden-layer choices, trained
/// with plain SGD (lr 0.01, no momentum, constant rate) on batches of 1000 for 10 epochs.
fn activations() -> Vec<RunSettings> {
    let dense = |activation, dropout| RunSettings {
        model: ModelChoice::Dense,
        hidden: vec![128, 128],
        activation,
        dropout,
        optimizer: OptimizerKind::Sgd,
        learning_rate: 0.01,
        momentum: 0.0,
        schedule: LrSchedule::Constant,
        batch_size: 1000,
        epochs: 10,
        train_subset: None,
        augment: false,
        ..RunSettings::default()
    };
    vec![dense(Activation::Sigmoid, 0.0), dense(Activation::Relu, 0.0), dense(Activation::Relu, 0.5)]
}

/// A classroom-sized run: Adam, batch 64, 3 epochs on 10,000 images, so the class sees it learn
/// within minutes (the lesson's dense network, and each run of the CNN comparison).
pub fn quick_run(model: ModelChoice, hidden: Vec<usize>) -> RunSettings {
    RunSettings {
        model,
        hidden,
        activation: Activation::Relu,
        dropout: 0.0,
        optimizer: OptimizerKind::Adam,
        learning_rate: 1e-3,
        schedule: LrSchedule::Cosine,
        batch_size: 64,
        epochs: 3,
        train_subset: Some(10_000),
        augment: false,
        ..RunSettings::default()
    }
}

/// How far convolutions get beyond a dense network, with the same optimiser and budget.
fn cnns() -> Vec<RunSettings> {
    vec![
        quick_run(ModelChoice::Dense, vec![128, 128]),
        quick_run(ModelChoice::BaselineCnn, vec![128, 128]),
        quick_run(ModelChoice::AtelierCnn, vec![128, 128]),
    ]
}

pub const PRESETS: [Preset; 2] = [
    Preset {
        id: "activations",
        title: "Sigmoid vs ReLU vs dropout",
        description: "Dense 128-128 three ways: Sigmoid, ReLU, ReLU + dropout 0.5. Plain SGD (lr 0.01), batch 1000, \
                      10 epochs on all 55,000 images: see why ReLU replaced the sigmoid.",
        runs: activations,
    },
    Preset {
        id: "cnn",
        title: "Dense vs CNNs",
        description: "Dense 128-128 ReLU, the baseline CNN and the Atelier CNN with Adam, batch 64, 3 epochs on \
                      10,000 images: how far convolutions get beyond a dense network.",
        runs: cnns,
    },
];

/// The runs of preset `id`, if there is one.
pub fn preset_runs(id: &str) -> Option<Vec<RunSettings>> {
    PRESETS.iter().find(|p| p.id == id).map(|p| (p.runs)())
}
