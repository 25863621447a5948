//! Saved runs as IndexedDB holds them (JSON): today's format round-trips, non-finite figures
//! included (a diverged run's NaN loss once made its record unreadable), records of format 1 —
//! flat steps and epochs, NaN written as `null` — still load, and a record that cannot be read
//! is reported by id and reason, never silently dropped or overwritten.

use atelier::protocol::{EpochReport, RunSettings, RunState};
use atelier::state::runs::RunRecord;
use atelier::state::saved::{RUN_FORMAT, SavedRun, read_saved_runs};
use atelier::state::{Action, AppState};

/// A run of format 1 as an earlier version of the page stored it: two steps, one epoch whose
/// validation set was empty (NaN, written as null), the second step's loss diverged (null).
const FORMAT_1: &str = r#"{"format":1,"id":3,"settings":{"model":"dense","hidden":[128],"activation":"relu",
"dropout":0.0,"optimizer":"adam","learning_rate":0.001,"momentum":0.9,"schedule":"cosine","batch_size":64,
"epochs":2,"validation_size":0,"train_subset":1000,"augment":false,"seed":42,"readback_every":1},
"backend":"Cpu","phase":{"Done":{"stopped_early":false}},
"steps":[{"epoch":1,"step":1,"steps_per_epoch":16,"global_step":1,"total_steps":32,"loss":2.3,"accuracy":0.1,
"images_per_second":3000.0,"elapsed_seconds":0.02,"eta_seconds":0.6},
{"epoch":1,"step":2,"steps_per_epoch":16,"global_step":2,"total_steps":32,"loss":null,"accuracy":0.0,
"images_per_second":3000.0,"elapsed_seconds":0.04,"eta_seconds":0.6}],
"epochs":[{"epoch":1,"epochs":2,"validation_loss":null,"validation_accuracy":null,"test_loss":0.71,
"test_accuracy":0.73,"elapsed_seconds":1.5,"eta_seconds":1.5}],
"checkpoint_step":16,"compare":false}"#;

#[test]
fn format_1_records_load_with_their_steps_epochs_and_gaps() {
    let run: SavedRun = serde_json::from_str(FORMAT_1).expect("a format-1 record loads");
    assert_eq!((run.format, run.id, run.checkpoint_step), (1, 3, Some(16)));
    assert_eq!(run.phase, RunState::Done { stopped_early: false });
    assert_eq!(run.steps.len(), 2);
    let (first, second) = (run.steps[0], run.steps[1]);
    assert_eq!((first.info.global_step, first.info.total_steps, first.info.batch_size), (1, 32, 64));
    assert_eq!(first.loss, 2.3);
    assert!(second.loss.is_nan(), "a null loss reads as NaN, not as a lost run");
    let epoch: EpochReport = run.epochs[0];
    assert_eq!(epoch.validation, None, "the empty validation set");
    let test = epoch.test.expect("the test figures");
    assert_eq!((test.images, test.loss, test.accuracy), (10_000, 0.71, 0.73));
}

#[test]
fn todays_records_round_trip_non_finite_figures_included() {
    let mut run: SavedRun = serde_json::from_str(FORMAT_1).unwrap();
    run.format = RUN_FORMAT;
    run.steps[0].loss = f32::INFINITY;
    run.steps[0].info.eta_seconds = f64::NEG_INFINITY;
    let json = serde_json::to_string(&run).unwrap();
    assert!(json.contains(r#""loss":"inf""#) && json.contains(r#""loss":"NaN""#), "{json}");
    let back: SavedRun = serde_json::from_str(&json).expect("today's format reads back");
    assert_eq!(back.steps[0].loss, f32::INFINITY);
    assert_eq!(back.steps[0].info.eta_seconds, f64::NEG_INFINITY);
    assert!(back.steps[1].loss.is_nan());
    assert_eq!((back.format, back.steps.len()), (RUN_FORMAT, 2));
    // (NaN ≠ NaN, so the records compare as the JSON they write.)
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    // Plain numbers stay plain numbers.
    assert!(json.contains(r#""accuracy":0.1"#), "{json}");
}

#[test]
fn a_figure_that_is_neither_a_number_nor_a_known_word_is_an_error() {
    let bad = FORMAT_1.replacen(r#""loss":2.3"#, r#""loss":"lots""#, 1);
    assert!(serde_json::from_str::<SavedRun>(&bad).is_err());
}

#[test]
fn unreadable_records_are_named_with_why_and_keep_their_ids() {
    let newer = FORMAT_1.replacen(r#""format":1"#, r#""format":9"#, 1).replacen(r#""id":3"#, r#""id":4"#, 1);
    let records =
        vec![(3, FORMAT_1.to_owned()), (4, newer), (7, "{\"format\":2,\"id\":7,".to_owned()), (8, FORMAT_1.to_owned())];
    let (runs, unreadable) = read_saved_runs(records);
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [3]);
    let why: Vec<(u32, &str)> = unreadable.iter().map(|u| (u.id, u.reason.as_str())).collect();
    assert_eq!(why[0], (4, "it was saved by a newer version of Atelier (format 9)"));
    assert!(why[1].0 == 7 && why[1].1.contains("EOF"), "{why:?}");
    assert_eq!(why[2], (8, "it says it is run 3"));

    // The page names each, and a new run is not given an unreadable record's id.
    let restored = runs.into_iter().map(RunRecord::from).collect();
    let state = AppState::default().reduced(Action::RunsRestored(restored, unreadable));
    let error = state.storage.error.clone().expect("a message");
    assert!(error.contains("run 4 (it was saved by a newer version") && error.contains("run 7 ("), "{error}");
    assert_eq!(state.next_run_id(), 9);
    let started = state.reduced(Action::RunRequested {
        id: state.next_run_id(),
        settings: RunSettings::default(),
        compare: false,
    });
    assert_eq!(started.runs.last().map(|r| r.id), Some(9));
}
