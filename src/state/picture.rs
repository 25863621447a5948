//! What the page knows about classifying the user's picture: the input the model sees, the
//! latest answer, and which weights are available.

use std::rc::Rc;

use crate::protocol::{
    BackendReport, Classification, ClassifierChoice, ClassifierStatus, FromEngine, ModelChoice, PretrainedModel,
};

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ClassifyView {
    /// The weights the user picked.
    pub model: ClassifierChoice,
    /// The shipped weights: downloaded (bytes) or why not; `None` while loading.
    pub pretrained: Option<Result<PretrainedModel, String>>,
    /// The model of the last finished run, when there is one.
    pub last_run: Option<ModelChoice>,
    /// The 28×28 input of the newest request (light on black).
    pub input: Option<Rc<Vec<u8>>>,
    /// Sequence number of the newest request.
    pub latest: u64,
    /// The newest answer, even if a newer request is still on its way.
    pub answer: Option<Rc<Classification>>,
    /// From the input event to this answer reaching the page, in ms.
    pub latency_ms: Option<f64>,
    /// Answers received so far (the `data-seq` of `prediction`).
    pub answers: u64,
    /// Why the last input gave no prediction (not an image, a failed device…).
    pub error: Option<String>,
    /// The classifier worker's backend and the race behind it.
    pub backend: Option<BackendReport>,
    /// Bumped whenever the classifier gets newer trained weights (an epoch, a pause, an
    /// import), so a drawing shown with "your last run" is answered again.
    pub weights: u64,
}

impl ClassifyView {
    /// A new request is on its way.
    pub fn requested(&mut self, seq: u64, pixels: Rc<Vec<u8>>) {
        self.latest = seq;
        self.input = Some(pixels);
        self.error = None;
    }

    /// The input is blank: nothing to classify, nothing to show.
    pub fn cleared(&mut self) {
        self.input = None;
        self.answer = None;
        self.latency_ms = None;
        self.error = None;
    }

    pub fn failed(&mut self, message: String) {
        self.error = Some(message);
    }

    /// Engine reports about classification (`at`: when it reached the page, for the latency
    /// readout); other events are not ours.
    pub fn apply(&mut self, event: &FromEngine, at: f64) {
        match event {
            FromEngine::Classifier(ClassifierStatus::Pretrained(status)) => self.pretrained = Some(status.clone()),
            FromEngine::Classifier(ClassifierStatus::LastRun(model)) => {
                self.last_run = Some(*model);
                self.weights += 1;
            }
            FromEngine::Classified(answer) => {
                // A cleared canvas stays cleared even if an answer was still on its way.
                if self.input.is_none() || self.answer.as_ref().is_some_and(|a| a.seq > answer.seq) {
                    return;
                }
                self.latency_ms = Some(at - answer.input_at);
                self.answer = Some(Rc::new(answer.clone()));
                self.answers += 1;
                if answer.seq == self.latest {
                    self.error = None;
                }
            }
            FromEngine::ClassifyFailed { seq, message } if *seq == self.latest => {
                self.error = Some(format!("Could not classify: {message}"));
            }
            _ => {}
        }
    }
}
