//! The page's reducer, natively (`atelier::state` is plain Rust): restoring saved runs and
//! renumbering those started meanwhile, cutting a resumed run's curves back to its checkpoint,
//! unlisting a Start the engine refused, routing a run's reports, and the preset queue.

use std::rc::Rc;

use atelier::protocol::{EpochReport, EvalReport, FromEngine, RunSettings, RunState, StepInfo, StepReport};
use atelier::state::runs::RunRecord;
use atelier::state::saved::SavedRun;
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
            workers: 1,
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

/// The page's Start: the next id, which the engine will tag the run's reports with.
fn start(state: &AppState) -> AppState {
    state.reduced(Action::RunRequested { id: state.next_run_id(), settings: RunSettings::default(), compare: false })
}

fn ids(state: &AppState) -> Vec<u32> {
    state.runs.iter().map(|r| r.id).collect()
}

#[test]
fn restored_runs_come_first_and_a_run_started_meanwhile_follows_them() {
    let started = start(&AppState::default());
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
    let state = engine(&state, FromEngine::Steps { run: 1, steps: vec![step(11), step(12)] });
    assert_eq!(state.runs.last().unwrap().steps.len(), 12);
    assert_eq!(state.run.preparing, None);
}

#[test]
fn a_refused_start_is_unlisted_and_says_why() {
    let state = start(&AppState::default());
    assert_eq!((ids(&state), &state.run.phase), (vec![1], &RunState::Running));
    assert_eq!(state.run.preparing.as_deref(), Some("Starting…"));
    let state = engine(&state, FromEngine::Refused("The engine is still starting.".into()));
    assert!(state.runs.is_empty());
    assert_eq!(state.run.phase, RunState::Idle);
    assert_eq!(state.run.notice.as_deref(), Some("The engine is still starting."));
    // A refusal once the run is under way (steps in) leaves it listed.
    let state = engine(&start(&AppState::default()), FromEngine::Steps { run: 1, steps: vec![step(1)] });
    let state = engine(&state, FromEngine::Refused("the run is not paused".into()));
    assert_eq!(ids(&state), [1]);
}

#[test]
fn a_runs_reports_reach_the_live_view_and_the_listed_run() {
    let state = start(&AppState::default());
    let state = engine(&state, FromEngine::Preparing("Loading the training images…".into()));
    assert_eq!(state.runs[0].preparing.as_deref(), Some("Loading the training images…"));
    let state = engine(&state, FromEngine::Phase(RunState::Running));
    let state = engine(&state, FromEngine::Steps { run: 1, steps: (1..=10).map(step).collect() });
    // A hold while the user draws shows until the run trains on, or until its next phase.
    let state = engine(&state, FromEngine::Holding(true));
    assert!(state.run.holding);
    assert!(!engine(&state, FromEngine::Holding(false)).run.holding);
    assert!(!engine(&state, FromEngine::Phase(RunState::Paused)).run.holding);
    let state = engine(&state, FromEngine::Epoch { run: 1, report: epoch(1) });
    let state = engine(&state, FromEngine::Phase(RunState::Done { stopped_early: true }));
    assert!(!state.run.holding);
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

#[test]
fn a_stopped_runs_late_reports_and_checkpoint_go_to_it_not_to_the_next_run() {
    let state = start(&AppState::default());
    let state = engine(&state, FromEngine::Steps { run: 1, steps: (1..=12).map(step).collect() });
    let state = engine(&state, FromEngine::Phase(RunState::Done { stopped_early: true }));
    // Start again at once: run 2 is listed before run 1's last step and stop checkpoint arrive.
    let state = start(&state);
    assert_eq!(ids(&state), [1, 2]);
    let state = engine(&state, FromEngine::Steps { run: 1, steps: vec![step(13)] });
    let state = engine(&state, FromEngine::Checkpoint { run: 1, epoch: 1, global_step: 13, stored: Ok(()) });
    let (first, second) = (&state.runs[0], &state.runs[1]);
    assert_eq!((first.steps.len(), first.checkpoint_step), (13, Some(13)), "run 1's checkpoint is run 1's");
    assert_eq!((second.steps.len(), second.checkpoint_step), (0, None));
    assert!(state.run.steps.is_empty(), "nothing of run 1 in run 2");
    // Run 2's own reports still reach it and the live view.
    let state = engine(&state, FromEngine::Steps { run: 2, steps: vec![step(1)] });
    assert_eq!((state.runs[1].steps.len(), state.run.steps.len()), (1, 1));
}

#[test]
fn a_checkpoint_the_worker_could_not_store_keeps_the_previous_one_claimed() {
    let state = start(&AppState::default());
    let state = engine(&state, FromEngine::Steps { run: 1, steps: (1..=20).map(step).collect() });
    let state = engine(&state, FromEngine::Checkpoint { run: 1, epoch: 1, global_step: 10, stored: Ok(()) });
    assert!(state.storage.error.is_none());
    let full = "the browser's storage for this site is full — delete some runs to make room".to_string();
    let state = engine(&state, FromEngine::Checkpoint { run: 1, epoch: 2, global_step: 20, stored: Err(full) });
    assert_eq!(state.runs[0].checkpoint_step, Some(10), "the stored one is still the one to resume from");
    let error = state.storage.error.as_deref().unwrap_or_default();
    assert!(error.contains("run 1") && error.contains("is full"), "{error}");
}

#[test]
fn a_run_renumbered_by_a_restore_still_gets_its_reports() {
    let started = start(&AppState::default());
    let state = started.reduced(Action::RunsRestored(vec![saved_run(1, 30, Some(30))], vec![]));
    assert_eq!(ids(&state), [1, 2]);
    // The engine tags the run it was started as: 1.
    let state = engine(&state, FromEngine::Steps { run: 1, steps: vec![step(1), step(2)] });
    assert_eq!((state.runs[0].steps.len(), state.runs[1].steps.len()), (30, 2));
}

#[test]
fn an_interrupted_run_shows_its_checkpoint_step_from_the_reload_on() {
    let mut saved = SavedRun::from(&saved_run(1, 25, Some(10)));
    saved.phase = RunState::Running;
    let run = RunRecord::from(saved);
    assert!(run.interrupted && run.is_resumable());
    // The counter shows step 10 at once; resuming does not make it run backwards from 25.
    assert_eq!((run.steps.len(), run.steps.last().unwrap().info.global_step, run.epochs.len()), (10, 10, 1));
}

#[test]
fn a_checkpoint_stored_after_the_record_was_written_still_makes_the_run_resumable() {
    // The tab closed after its trainer stored the first epoch's checkpoint (step 10) and before
    // the page wrote the record that claims it: the record has none, the step stored with the
    // checkpoint's bytes says 10.
    let mut saved = SavedRun::from(&saved_run(1, 12, None));
    saved.phase = RunState::Running;
    assert!(!RunRecord::from(saved.clone()).is_resumable(), "without the stored step: nothing to resume");
    let run = RunRecord::from(saved.clone().with_stored_checkpoint(Some(10)));
    assert!(run.interrupted && run.is_resumable());
    assert_eq!((run.checkpoint_step, run.steps.len(), run.epochs.len()), (Some(10), 10, 1));
    // One checkpoint behind: the newer stored one counts; an older stored step never lowers
    // the record's, nor does its absence.
    saved.checkpoint_step = Some(10);
    assert_eq!(saved.clone().with_stored_checkpoint(Some(20)).checkpoint_step, Some(20));
    assert_eq!(saved.clone().with_stored_checkpoint(Some(5)).checkpoint_step, Some(10));
    assert_eq!(saved.with_stored_checkpoint(None).checkpoint_step, Some(10));
}

#[test]
fn a_run_started_before_the_restore_keeps_the_id_it_claimed_unless_it_collides() {
    let started =
        AppState::default().reduced(Action::RunRequested { id: 5, settings: RunSettings::default(), compare: false });
    let state =
        started.reduced(Action::RunsRestored(vec![saved_run(1, 30, Some(30)), saved_run(2, 20, Some(20))], vec![]));
    assert_eq!(ids(&state), [1, 2, 5]);
    assert!(state.renumbered.is_empty());
}

#[test]
fn another_tabs_runs_are_listed_as_theirs_and_never_take_this_tabs_reports() {
    let state = start(&AppState::default());
    assert_eq!(state.live, Some(1));
    // Tab B claimed run 2 and trains it: its record arrives here.
    let mut theirs = RunRecord::from(SavedRun::from(&saved_run(2, 5, None)));
    theirs.phase = RunState::Running;
    let state = state.reduced(Action::RunSavedElsewhere(theirs));
    assert_eq!(ids(&state), [1, 2]);
    assert!(state.runs[1].elsewhere && !state.runs[1].is_resumable(), "trained in the other tab, not resumable here");
    // This tab's reports still go to its own run 1 and the live view, not to the newest listed.
    let state = engine(&state, FromEngine::Steps { run: 1, steps: vec![step(1), step(2)] });
    assert_eq!((state.runs[0].steps.len(), state.runs[1].steps.len(), state.run.steps.len()), (2, 5, 2));
    // A copy of this tab's own live run coming back from elsewhere changes nothing.
    let echo = RunRecord::from(SavedRun::from(&saved_run(1, 30, None)));
    assert_eq!(state.reduced(Action::RunSavedElsewhere(echo)).runs[0].steps.len(), 2);
}

#[test]
fn a_run_whose_engine_died_is_kept_resumable_from_its_checkpoint() {
    let state = start(&AppState::default());
    let state = engine(&state, FromEngine::Phase(RunState::Running));
    let state = engine(&state, FromEngine::Steps { run: 1, steps: (1..=10).map(step).collect() });
    let state = engine(&state, FromEngine::Epoch { run: 1, report: epoch(1) });
    let state = engine(&state, FromEngine::Checkpoint { run: 1, epoch: 1, global_step: 10, stored: Ok(()) });
    let state = engine(&state, FromEngine::Steps { run: 1, steps: (11..=14).map(step).collect() });
    let state = engine(&state, FromEngine::Crashed("RuntimeError: unreachable".into()));
    let run = &state.runs[0];
    assert!(run.is_resumable() && run.interrupted, "resumable like a run cut short by a reload");
    assert_eq!(run.steps.len(), 10, "cut back to its checkpoint, where Resume continues");
    assert_eq!(state.run.steps.len(), 10, "the live charts too");
    let notice = state.run.notice.as_deref().unwrap_or_default();
    assert!(notice.contains("RuntimeError: unreachable") && notice.contains("at step 10"), "{notice}");
    // Without a checkpoint there is nothing to resume: the run is kept, marked failed.
    let state = start(&state);
    let state = engine(&state, FromEngine::Steps { run: 2, steps: (1..=4).map(step).collect() });
    let state = engine(&state, FromEngine::Crashed("RuntimeError: unreachable".into()));
    let second = &state.runs[1];
    assert!(!second.is_resumable() && matches!(second.phase, RunState::Error(_)));
    assert_eq!(second.steps.len(), 4);
    assert!(state.run.notice.as_deref().unwrap_or_default().contains("no checkpoint yet"));
}

#[test]
fn a_stopped_run_is_settled_only_with_its_stop_checkpoint() {
    let stopped = SavedRun::from(&saved_run(1, 68, Some(64)));
    // "Stopped" arrives before the stop checkpoint: another tab must not take the run yet.
    assert!(!stopped.is_settled());
    assert!(SavedRun::from(&saved_run(1, 68, Some(68))).is_settled());
    let mut running = SavedRun::from(&saved_run(1, 68, Some(68)));
    running.phase = RunState::Running;
    assert!(!running.is_settled());
    let mut failed = SavedRun::from(&saved_run(1, 68, Some(64)));
    failed.phase = RunState::Error("the GPU stopped working".into());
    assert!(failed.is_settled(), "no stop checkpoint comes after a failure");
}

#[test]
fn a_run_taken_over_from_another_tab_resumes_here_once_that_tab_lets_it_go() {
    let mut theirs = RunRecord::from(SavedRun::from(&saved_run(1, 25, Some(20))));
    theirs.phase = RunState::Running;
    let state = AppState::default().reduced(Action::RunSavedElsewhere(theirs));
    assert!(state.runs[0].elsewhere);
    let state = state.reduced(Action::TakeOver(1));
    assert_eq!((state.takeover, state.resume_waiting), (Some(1), None), "nothing resumes while that tab holds it");
    // That tab stopped it at step 25 with its stop checkpoint, wrote it, and let it go.
    let state = state.reduced(Action::RunReleased(RunRecord::from(SavedRun::from(&saved_run(1, 25, Some(25))))));
    assert!(!state.runs[0].elsewhere && state.runs[0].is_resumable());
    assert_eq!((state.takeover, state.resume_waiting), (None, Some(1)), "resumes as soon as the engine is ready");
    // The tab that gave it up says so.
    let handed = start(&AppState::default()).reduced(Action::HandedOver(1));
    assert!(handed.run.notice.as_deref().is_some_and(|n| n.contains("Run 1 was taken over by another tab")));
}

#[test]
fn a_stopped_runs_last_steps_reach_its_record_not_only_the_chart() {
    let state = start(&AppState::default());
    let state = engine(&state, FromEngine::Steps { run: 1, steps: (1..=54).map(step).collect() });
    // The engine says "stopped" at once, then flushes the steps still being read, then stores
    // the stop checkpoint (measured in the page: record 54 steps, checkpoint 59, chart 59).
    let state = engine(&state, FromEngine::Phase(RunState::Done { stopped_early: true }));
    let state = engine(&state, FromEngine::Steps { run: 1, steps: (55..=59).map(step).collect() });
    let state = engine(&state, FromEngine::Checkpoint { run: 1, epoch: 5, global_step: 59, stored: Ok(()) });
    assert_eq!((state.run.steps.len(), state.runs[0].steps.len()), (59, 59));
    assert!(SavedRun::from(&state.runs[0]).is_settled());
}
