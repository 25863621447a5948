//! The guided lesson: the story Atelier exists to tell (look at the data → a dense network →
//! Sigmoid, ReLU and dropout → why a CNN wins → inside the two networks → where it goes wrong →
//! draw a garment), one step per screen, each with a few plain sentences, only the panels it
//! needs, and the one click that starts its run. A teacher runs it from a projector; `?lesson=N` opens step N for a class.

use crate::protocol::{ModelChoice, RunSettings};

/// The parts of the page a step can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Data,
    Gallery,
    Train,
    Runs,
    Evaluation,
    Classify,
    /// The shipped dense network and CNN side by side: first layers, and a moved picture.
    Inside,
}

/// What a step's big button does.
#[derive(Clone, Copy, Debug)]
pub enum StepAction {
    /// Start one run with these settings.
    Train { label: &'static str, settings: fn() -> RunSettings },
    /// Start a preset comparison (`ui::panels::presets`), its runs overlaid.
    Preset { label: &'static str, id: &'static str },
}

#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub title: &'static str,
    /// Two to four sentences, every term explained where it first appears.
    pub text: &'static str,
    pub panels: &'static [Panel],
    pub action: Option<StepAction>,
    /// Measured figures shown with the step (the page fetches them).
    pub figure: Option<Figure>,
}

/// Figures measured once by the native trainer and shipped as data files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// `lesson/shifts.json`: accuracy with the test images moved 0–4 px, per model.
    Shifts,
}

/// A move in the lesson. Next and Back are relative so that a clicker pressed twice before the
/// page redraws turns two pages, not the same page twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonMove {
    /// To a step (1-based); one that does not exist changes nothing.
    To(usize),
    Next,
    Back,
    /// Out of the lesson, back to the whole app.
    Leave,
}

impl LessonMove {
    /// The step after this move from `current` (`None`: not in the lesson).
    pub fn from(self, current: Option<usize>) -> Option<usize> {
        match (self, current) {
            (LessonMove::To(step), _) if (1..=STEPS.len()).contains(&step) => Some(step),
            (LessonMove::Next, Some(step)) => Some((step + 1).min(STEPS.len())),
            (LessonMove::Back, Some(step)) => Some(step.saturating_sub(1).max(1)),
            (LessonMove::Leave, _) => None,
            _ => current,
        }
    }
}

/// Where the page finds the shift figures (beside it; Trunk copies `static/lesson`).
pub const SHIFTS_FILE: &str = "lesson/shifts.json";

/// One model's test accuracy with every test image moved 0, 1, … px (the mean of left, right,
/// up and down): written by `train --shifts-json FILE`, read by the lesson.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShiftFigures {
    pub model: String,
    pub images: usize,
    /// Index = pixels moved.
    pub accuracy: Vec<f64>,
}

/// The figures in `json`, or why not (a file from elsewhere must not break the lesson).
pub fn read_shift_figures(json: &[u8]) -> Result<Vec<ShiftFigures>, String> {
    let figures: Vec<ShiftFigures> = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    let sane = |f: &ShiftFigures| !f.accuracy.is_empty() && f.accuracy.iter().all(|a| (0.0..=1.0).contains(a));
    if figures.is_empty() || !figures.iter().all(sane) {
        return Err("no accuracies between 0 and 1".into());
    }
    Ok(figures)
}

/// The dense network of step 2: small and quick, so the class sees it learn within a minute.
pub fn dense_run() -> RunSettings {
    super::presets::quick_run(ModelChoice::Dense, vec![128])
}

pub const STEPS: [Step; 7] = [
    Step {
        title: "Meet the data",
        text: "Fashion-MNIST is 70,000 small grey pictures of clothes, 28 × 28 pixels each, in 10 classes. \
               A network learns from 60,000 of them and is graded on 10,000 it has never seen. \
               Click a class: shirts, T-shirts and pullovers look alike, even to us.",
        panels: &[Panel::Data, Panel::Gallery],
        action: None,
        figure: None,
    },
    Step {
        title: "A dense network learns",
        text: "A dense network wires every one of the 784 pixels to every neuron of its next layer. \
               Training shows it a batch of 64 pictures at a time and nudges its weights to be less wrong. \
               Watch the loss (how wrong it is) fall and the accuracy rise.",
        panels: &[Panel::Train],
        action: Some(StepAction::Train { label: "Train a dense network", settings: dense_run }),
        figure: None,
    },
    Step {
        title: "Sigmoid, ReLU and dropout",
        text: "After each layer comes an activation, a small function that bends the numbers. \
               The old sigmoid squashes them between 0 and 1 and learns slowly; ReLU keeps what is positive and learns fast. \
               Dropout switches off random neurons while training, so the network cannot lean on any one.",
        panels: &[Panel::Train],
        action: Some(StepAction::Preset { label: "Run the three and compare", id: "activations" }),
        figure: None,
    },
    Step {
        title: "Why a CNN wins",
        text: "A convolutional network (CNN) slides small 3 × 3 filters over the picture, looking for edges and textures wherever they are. \
               It needs fewer weights than a dense network, and it still knows a garment that sits a few pixels off. \
               Run the dense network against the two CNNs.",
        panels: &[Panel::Train],
        action: Some(StepAction::Preset { label: "Race a dense network and two CNNs", id: "cnn" }),
        figure: None,
    },
    Step {
        title: "Inside the two networks",
        text: "A dense neuron weighs all 784 pixels, each in its place: its weights look like a blurry garment. \
               A CNN filter is 3 × 3 and finds its edge wherever it is. \
               Move the picture with the arrows: which answer holds?",
        panels: &[Panel::Inside],
        action: None,
        figure: Some(Figure::Shifts),
    },
    Step {
        title: "Where it goes wrong",
        text: "After each epoch (one pass over the training pictures) the network answers all 10,000 test pictures. \
               The confusion matrix counts those answers: the blue diagonal is right, red cells are mistakes. \
               Click a red cell to see exactly which shirts it took for T-shirts.",
        panels: &[Panel::Evaluation],
        action: None,
        figure: None,
    },
    Step {
        title: "Draw a garment",
        text: "Now test it yourself: draw a pair of trousers, a bag or a shoe, or drop in a photo. \
               The bars show how sure the model is of each class, and the heat map which pixels decided it. \
               Choose “Your run” to ask the network this class trained.",
        panels: &[Panel::Classify],
        action: None,
        figure: None,
    },
];

/// Step `n` (1-based) from a link's `lesson=N`, or why not.
pub fn step_from_link(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (1..=STEPS.len()).contains(&n) => Ok(n),
        _ => Err(format!(
            "“lesson={}” was ignored: expected a step from 1 to {}.",
            super::link::shown(value),
            STEPS.len()
        )),
    }
}
