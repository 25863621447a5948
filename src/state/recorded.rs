//! Recorded runs: the lesson's runs, trained once by the native trainer (`train --record GROUP
//! --record-json static/lesson/recorded.json`) and shipped as a small data file, so that on a
//! slow classroom machine the teacher shows the result at once, labelled *recorded*, and can
//! still train live beside it (both overlay on the lesson's charts).

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::lesson::{STEPS, Step, StepAction, dense_run};
use super::presets::preset_runs;
use super::runs::RunRecord;
use crate::protocol::{BackendKind, EpochReport, RunSettings, RunState, StepReport};

/// Where the page finds them (beside it; Trunk copies `static/lesson`).
pub const RECORDED_FILE: &str = "lesson/recorded.json";

/// Steps kept per run: a smooth curve in a small file.
pub const KEPT_STEPS: usize = 120;

/// A group's runs are numbered from this id on: their colours come after the first live runs'.
const FIRST_ID: u32 = 5;

/// One run as the trainer recorded it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRun {
    /// The lesson comparison it belongs to: a preset's id, or `dense` (the dense-network step).
    pub group: String,
    pub settings: RunSettings,
    pub steps: Vec<StepReport>,
    pub epochs: Vec<EpochReport>,
}

/// The runs of a group, as the lesson starts them.
pub fn group_runs(group: &str) -> Option<Vec<RunSettings>> {
    if group == "dense" { Some(vec![dense_run()]) } else { preset_runs(group) }
}

/// The group a lesson step's button starts, if it starts one.
pub fn step_group(step: &Step) -> Option<&'static str> {
    match step.action? {
        StepAction::Train { .. } => Some("dense"),
        StepAction::Preset { id, .. } => Some(id),
    }
}

/// At most `at_most` of `steps`, evenly spaced, the last always kept.
pub fn thinned(steps: Vec<StepReport>, at_most: usize) -> Vec<StepReport> {
    let every = steps.len().div_ceil(at_most.max(1)).max(1);
    let last = steps.len().saturating_sub(1);
    steps.into_iter().enumerate().filter(|(i, _)| (last - i).is_multiple_of(every)).map(|(_, s)| s).collect()
}

/// The runs in `json`, or why not: a file from elsewhere must not put nonsense on the chart.
pub fn read_recorded(json: &[u8]) -> Result<Vec<RecordedRun>, String> {
    let runs: Vec<RecordedRun> = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    for run in &runs {
        let known = group_runs(&run.group).is_some_and(|all| all.contains(&run.settings));
        let finite = run.steps.iter().all(|s| s.loss.is_finite() && (0.0..=1.0).contains(&s.accuracy))
            && run.epochs.iter().all(|e| (0.0..=1.0).contains(&e.test_accuracy()));
        if !known || !finite || run.epochs.is_empty() {
            return Err(format!("a run of “{}” is not one the lesson starts, or its figures are not sane", run.group));
        }
    }
    Ok(runs)
}

/// The recorded runs the page has, and whether the lesson overlays them.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RecordedView {
    /// (group, run), listed as finished runs of the CPU.
    pub runs: Rc<Vec<(String, RunRecord)>>,
    /// Why the file could not be used.
    pub error: Option<String>,
    pub hidden: bool,
}

pub enum RecordedAction {
    Loaded(Result<Vec<RecordedRun>, String>),
    Show(bool),
}

impl RecordedView {
    pub fn apply(&mut self, action: RecordedAction) {
        match action {
            RecordedAction::Loaded(Ok(runs)) => {
                // Numbered within their group: a step's recorded runs take the colours after
                // those of the first live runs, never one of theirs.
                let mut listed: Vec<(String, RunRecord)> = Vec::new();
                for run in runs {
                    let id = FIRST_ID + listed.iter().filter(|(group, _)| *group == run.group).count() as u32;
                    listed.push((run.group.clone(), record(id, run)));
                }
                self.runs = Rc::new(listed);
            }
            RecordedAction::Loaded(Err(why)) => self.error = Some(why),
            RecordedAction::Show(on) => self.hidden = !on,
        }
    }

    /// The runs overlaid on lesson step `step` (1-based), unless hidden.
    pub fn for_step(&self, step: Option<usize>) -> Rc<Vec<RunRecord>> {
        let group = step.and_then(|n| STEPS.get(n - 1)).and_then(step_group);
        match group {
            Some(group) if !self.hidden => {
                Rc::new(self.runs.iter().filter(|(g, _)| g == group).map(|(_, run)| run.clone()).collect())
            }
            _ => Rc::default(),
        }
    }

    /// Whether lesson step `step` has recorded runs to show or hide.
    pub fn has_step(&self, step: usize) -> bool {
        let group = STEPS.get(step.wrapping_sub(1)).and_then(step_group);
        group.is_some_and(|group| self.runs.iter().any(|(g, _)| g == group))
    }
}

fn record(id: u32, run: RecordedRun) -> RunRecord {
    let mut record = RunRecord::new(id, run.settings, Some(BackendKind::Cpu), true);
    record.phase = RunState::Done { stopped_early: false };
    record.preparing = None;
    record.steps = Rc::new(run.steps);
    record.epochs = Rc::new(run.epochs);
    record.recorded = true;
    record
}
