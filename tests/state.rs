//! The page's reducer, natively (`atelier::state` is plain Rust): restoring saved runs and
//! renumbering those started meanwhile, cutting a resumed run's curves back to its checkpoint,
//! unlisting a Start the engine refused, routing a run's reports, and the preset queue.

use std::rc::Rc;

use atelier::protocol::{EpochReport, EvalReport, FromEngine, RunSettings, RunState, StepInfo, StepReport};
use atelier::state::runs::RunRecord;
use atelier::state::{Action, AppState};

const STEPS_PER_EPOCH: usize = 10;

fn step(global: usize) -> StepReport {
    StepReport {
        info: StepInfo {
            epoch: (global - 1) / STEPS_PER_EPOCH + 1,
            step: (global - 1) % STEPS_PER_EPOCH + 1,
            steps_per_epoch: STEPS_PER_EPOCH,
            global_step: global,
            total_steps: 3 * STEPS_PER_EPOCH,
            batch_size: 64,
            learning_rate: 1e-3,
            images_per_second: 100.0,
            elapsed_seconds: global as f64,
            eta_seconds: 0.0,
        },
        loss: 1.0 / global as f32,
        accuracy: 0.5,
    }
}

fn epoch(n: usize) -> EpochReport {
    let held_out = Some(EvalReport { images: 1000, loss: 0.5, accuracy: 0.8 });
    EpochReport {
        epoch: n,
        epochs: 3,
        train_loss: 0.6,
        train_accuracy: 0.75,
        validation: held_out,
        test: held_out,
        images_per_second: 100.0,
        epoch_seconds: 1.0,
        elapsed_seconds: n as f64,
        eta_seconds: 0.0,
    }
}

/// A stopped run as storage gives it back: `steps` steps, their whole epochs, a checkpoint.
fn saved_run(id: u32, steps: usize, checkpoint: Option<usize>) -> RunRecord {
    let mut run = RunRecord::new(id, RunSettings::default(), None, false);
    run.phase = RunState::Done { stopped_early: true };
    run.preparing = None;
    run.steps = Rc::new((1..=steps).map(step).collect());
    run.epochs = Rc::new((1..=steps / STEPS_PER_EPOCH).map(epoch).collect());
    run.checkpoint_step = checkpoint;
    run
}

fn engine(state: &AppState, event: FromEngine) -> AppState {
    state.reduced(Action::Engine { event, at: 0.0 })
}

fn start() -> Action {
    Action::RunRequested { settings: RunSettings::default(), compare: false }
}

fn ids(state: &AppState) -> Vec<u32> {
    state.runs.iter().map(|r| r.id).collect()
}

#[test]
fn restored_runs_come_first_and_a_run_started_meanwhile_follows_them() {
    let started = AppState::default().reduced(start());
    assert_eq!(ids(&started), [1]);
    let state =
        started.reduced(Action::RunsRestored(vec![saved_run(1, 30, Some(30)), saved_run(2, 20, Some(20))], vec![]));
    assert_eq!(ids(&state), [1, 2, 3]);
    assert!(state.runs[2].is_active(), "the run started before the restore is the newest");
    assert!(state.runs[..2].iter().all(|r| !r.is_active()));
}

#[test]
fn resuming_cuts_the_curves_back_to_the_checkpoint() {
    let state = AppState::default()
        .reduced(Action::RunsRestored(vec![saved_run(1, 25, Some(10)), saved_run(2, 5, None)], vec![]))
        .reduced(Action::RunResumed(1));
    // The resumed run becomes the newest, running, with steps 1–10 and epoch 1 only.
    assert_eq!(ids(&state), [2, 1]);
    let run = state.runs.last().unwrap();
    assert_eq!(run.steps.len(), 10);
    assert_eq!(run.steps.last().unwrap().info.global_step, 10);
    assert_eq!(run.epochs.iter().map(|e| e.epoch).collect::<Vec<_>>(), [1]);
    assert_eq!(run.phase, RunState::Running);
    assert_eq!(state.run.phase, RunState::Running);
    assert_eq!(state.run.steps.len(), 10, "the live charts continue from the checkpoint");
    // The next steps follow on, in the live view and in the listed run.
    let state = engine(&state, FromEngine::Steps(vec![step(11), step(12)]));
    assert_eq!(state.runs.last().unwrap().steps.len(), 12);
    assert_eq!(state.run.preparing, None);
}

#[test]
fn a_refused_start_is_unlisted_and_says_why() {
    let state = AppState::default().reduced(start());
    assert_eq!((ids(&state), &state.run.phase), (vec![1], &RunState::Running));
    assert_eq!(state.run.preparing.as_deref(), Some("Starting…"));
    let state = engine(&state, FromEngine::Refused("The engine is still starting.".into()));
    assert!(state.runs.is_empty());
    assert_eq!(state.run.phase, RunState::Idle);
    assert_eq!(state.run.notice.as_deref(), Some("The engine is still starting."));
    // A refusal once the run is under way (steps in) leaves it listed.
    let state = engine(&AppState::default().reduced(start()), FromEngine::Steps(vec![step(1)]));
    let state = engine(&state, FromEngine::Refused("the run is not paused".into()));
    assert_eq!(ids(&state), [1]);
}

#[test]
fn a_runs_reports_reach_the_live_view_and_the_listed_run() {
    let state = AppState::default().reduced(start());
    let state = engine(&state, FromEngine::Preparing("Loading the training images…".into()));
    assert_eq!(state.runs[0].preparing.as_deref(), Some("Loading the training images…"));
    let state = engine(&state, FromEngine::Phase(RunState::Running));
    let state = engine(&state, FromEngine::Steps((1..=10).map(step).collect()));
    let state = engine(&state, FromEngine::Epoch(epoch(1)));
    let state = engine(&state, FromEngine::Phase(RunState::Done { stopped_early: true }));
    let run = &state.runs[0];
    assert_eq!((run.steps.len(), run.epochs.len()), (10, 1));
    assert_eq!(run.phase, RunState::Done { stopped_early: true });
    assert_eq!(state.run.phase, run.phase);
    // Reset wipes the live curves; the listed run keeps what it had.
    let state = engine(&state, FromEngine::Phase(RunState::Idle));
    assert!(state.run.steps.is_empty());
    assert_eq!(state.runs[0].steps.len(), 10);
}

#[test]
fn a_preset_queues_its_runs_one_after_another() {
    let settings = |epochs| RunSettings { epochs, ..RunSettings::default() };
    let state = AppState::default().reduced(Action::QueueRuns(vec![settings(1), settings(2), settings(3)]));
    assert_eq!(state.queue.iter().map(|s| s.epochs).collect::<Vec<_>>(), [1, 2, 3]);
    let state = state.reduced(Action::DequeueRun);
    assert_eq!(state.queue.iter().map(|s| s.epochs).collect::<Vec<_>>(), [2, 3]);
    let state = state.reduced(Action::CancelQueue);
    assert!(state.queue.is_empty());
    assert!(state.reduced(Action::DequeueRun).queue.is_empty());
}

#[test]
fn a_resume_clicked_before_the_engine_is_ready_waits_and_changes_nothing() {
    let state = AppState::default().reduced(Action::RunsRestored(vec![saved_run(1, 25, Some(10))], vec![]));
    let waiting = state.reduced(Action::ResumeWhenReady(Some(1)));
    assert_eq!(waiting.resume_waiting, Some(1));
    assert_eq!(waiting.runs[0].steps.len(), 25, "all its steps until it really resumes");
    assert!(waiting.runs[0].is_resumable());
    let resumed = waiting.reduced(Action::RunResumed(1));
    assert_eq!(resumed.resume_waiting, None);
    assert_eq!(resumed.runs[0].steps.len(), 10);
}

#[test]
fn an_import_refused_by_its_size_says_so_and_changes_nothing() {
    let state = AppState::default().reduced(Action::ImportRefused("“huge” is 73 MB".into()));
    assert_eq!(state.storage.import_error.as_deref(), Some("“huge” is 73 MB"));
    assert!(state.pending_import.is_none() && state.unsaved_model.is_none());
}
