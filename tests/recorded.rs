//! The lesson's recorded runs (`state::recorded`): the shipped file holds exactly the runs each
//! lesson step starts, trained to their end; a file from elsewhere is refused; the lesson shows
//! a step's runs, labelled recorded, until hidden.

use atelier::protocol::StepReport;
use atelier::state::lesson::STEPS;
use atelier::state::recorded::{
    KEPT_STEPS, RECORDED_FILE, RecordedAction, RecordedRun, RecordedView, group_runs, read_recorded, step_group,
    thinned,
};

fn shipped() -> Vec<RecordedRun> {
    let path = format!("{}/static/{RECORDED_FILE}", env!("CARGO_MANIFEST_DIR"));
    read_recorded(&std::fs::read(path).expect("the shipped recorded runs")).expect("they read")
}

#[test]
fn every_lesson_run_is_recorded_to_its_end() {
    let runs = shipped();
    let groups: Vec<&str> = STEPS.iter().filter_map(step_group).collect();
    assert_eq!(groups, ["dense", "activations", "cnn"]);
    for group in groups {
        let recorded: Vec<&RecordedRun> = runs.iter().filter(|r| r.group == group).collect();
        let settings: Vec<_> = recorded.iter().map(|r| r.settings.clone()).collect();
        assert_eq!(settings, group_runs(group).unwrap(), "{group}: the lesson's runs, in its order");
        for run in recorded {
            assert_eq!(run.epochs.len(), run.settings.epochs, "{group}: every epoch");
            let last = run.steps.last().unwrap().info;
            assert_eq!(last.global_step, last.total_steps, "{group}: the curve reaches the run's last step");
            assert!(run.steps.len() <= KEPT_STEPS);
        }
    }
    // The figures the README quotes (tests/bench/results/recorded-2026-11-30.txt), in the blog's
    // order: ReLU > ReLU + dropout > Sigmoid.
    let accuracy = |i: usize| {
        runs.iter().filter(|r| r.group == "activations").nth(i).unwrap().epochs.last().unwrap().test_accuracy()
    };
    let (sigmoid, relu, dropout) = (accuracy(0), accuracy(1), accuracy(2));
    assert!(relu > dropout && dropout > sigmoid, "{sigmoid} {relu} {dropout}");
    for (figure, readme) in [(sigmoid, 0.4980), (relu, 0.7700), (dropout, 0.7401)] {
        assert!((figure - readme).abs() < 1e-4, "{figure} vs the README's {readme}");
    }
}

#[test]
fn a_recorded_file_from_elsewhere_is_refused() {
    let mut runs = shipped();
    runs[0].settings.epochs += 1;
    assert!(read_recorded(serde_json::to_string(&runs).unwrap().as_bytes()).is_err(), "not a run the lesson starts");
    let mut runs = shipped();
    runs[0].group = "nonsense".into();
    assert!(read_recorded(serde_json::to_string(&runs).unwrap().as_bytes()).is_err(), "no such group");
    let mut runs = shipped();
    runs[0].steps[0].loss = f32::NAN;
    assert!(read_recorded(serde_json::to_string(&runs).unwrap().as_bytes()).is_err(), "not finite");
    assert!(read_recorded(b"<html>").is_err());
}

#[test]
fn thinning_keeps_the_last_step_and_at_most_the_limit() {
    let run = shipped().into_iter().find(|r| r.group == "dense").unwrap();
    let steps: Vec<StepReport> = (0..471).map(|i| StepReport { loss: i as f32, ..run.steps[0] }).collect();
    let kept = thinned(steps, 120);
    assert!(kept.len() <= 120 && kept.len() >= 110, "{}", kept.len());
    assert_eq!(kept.last().unwrap().loss, 470.0);
    assert_eq!(thinned(kept.clone(), 1000), kept);
}

#[test]
fn the_lesson_overlays_a_steps_recorded_runs_until_hidden() {
    let mut view = RecordedView::default();
    view.apply(RecordedAction::Loaded(Ok(shipped())));
    let step = |title: &str| STEPS.iter().position(|s| s.title == title).unwrap() + 1;
    let activations = view.for_step(Some(step("Sigmoid, ReLU and dropout")));
    assert_eq!(activations.len(), 3);
    assert!(activations.iter().all(|r| r.recorded && r.compare && r.label().starts_with("recorded · Dense 128-128")));
    // Their colours are not those of the step's live runs (#1–#4).
    let ids: Vec<u32> = activations.iter().map(|r| r.id).collect();
    assert_eq!(ids, [5, 6, 7]);
    assert_eq!(view.for_step(Some(step("Why a CNN wins"))).iter().map(|r| r.id).collect::<Vec<_>>(), [5, 6, 7]);
    assert_eq!(view.for_step(Some(step("A dense network learns"))).len(), 1);
    assert!(view.for_step(Some(1)).is_empty() && view.for_step(None).is_empty() && !view.has_step(1));
    assert!(view.has_step(step("Why a CNN wins")));
    view.apply(RecordedAction::Show(false));
    assert!(view.for_step(Some(step("Why a CNN wins"))).is_empty());
    view.apply(RecordedAction::Loaded(Err("bad".into())));
    assert_eq!(view.error.as_deref(), Some("bad"));
}
