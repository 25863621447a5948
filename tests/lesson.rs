//! The lesson's script (`state::lesson`) and how a page enters it: every step says a few plain
//! sentences and shows something, links open a step, a bad step is noted, Next stops at the end.

use atelier::state::lesson::{LessonMove, STEPS, StepAction, step_from_link};
use atelier::state::{Action, AppState};

fn link(query: &[(&str, &str)]) -> Vec<(String, String)> {
    query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn every_step_has_two_to_four_sentences_and_something_to_show() {
    assert!((5..=7).contains(&STEPS.len()));
    for step in STEPS {
        let sentences = step.text.split(". ").count();
        assert!((2..=4).contains(&sentences), "{}: {sentences} sentences", step.title);
        assert!(!step.panels.is_empty(), "{}", step.title);
    }
    // The story's order: the data first, the doodle last, the dense network before the CNN.
    assert_eq!(STEPS[0].title, "Meet the data");
    assert_eq!(STEPS[STEPS.len() - 1].title, "Draw a garment");
    let dense = STEPS.iter().position(|s| matches!(s.action, Some(StepAction::Train { .. }))).unwrap();
    let cnn = STEPS.iter().position(|s| matches!(s.action, Some(StepAction::Preset { id: "cnn", .. }))).unwrap();
    assert!(dense < cnn);
}

#[test]
fn a_link_opens_a_step_and_a_bad_one_is_noted() {
    assert_eq!(AppState::opened_with(&link(&[("lesson", "3")])).lesson, Some(3));
    for bad in ["0", "8", "-1", "two", "<b>1</b>"] {
        let state = AppState::opened_with(&link(&[("lesson", bad)]));
        assert_eq!(state.lesson, None, "{bad}");
        assert_eq!(state.link_notes, [step_from_link(bad).unwrap_err()]);
    }
    assert!(AppState::opened_with(&link(&[("present", "1")])).presenting);
    assert!(!AppState::opened_with(&link(&[("present", "yes")])).presenting);
}

#[test]
fn the_lesson_moves_only_between_its_steps() {
    let last = STEPS.len();
    let state = AppState::default().reduced(Action::Lesson(LessonMove::To(last)));
    assert_eq!(state.lesson, Some(last));
    assert_eq!(state.reduced(Action::Lesson(LessonMove::To(last + 1))).lesson, Some(last), "no step past the end");
    assert_eq!(state.reduced(Action::Lesson(LessonMove::To(0))).lesson, Some(last));
    assert_eq!(state.reduced(Action::Lesson(LessonMove::Next)).lesson, Some(last), "no Next past the end");
    assert_eq!(state.reduced(Action::Lesson(LessonMove::Leave)).lesson, None);
    let first = AppState::default().reduced(Action::Lesson(LessonMove::To(1)));
    assert_eq!(first.reduced(Action::Lesson(LessonMove::Back)).lesson, Some(1), "no Back before the first");
    assert_eq!(AppState::default().reduced(Action::Lesson(LessonMove::Next)).lesson, None, "Next outside the lesson");
    // Two clicker presses before the page redraws (each reduced from the state the other left)
    // turn two pages: the moves are relative, not "the step shown + 1".
    let twice = first.reduced(Action::Lesson(LessonMove::Next)).reduced(Action::Lesson(LessonMove::Next));
    assert_eq!(twice.lesson, Some(3));
    assert_eq!(twice.reduced(Action::Lesson(LessonMove::Back)).lesson, Some(2));
}

#[test]
fn the_shipped_shift_figures_are_the_trainers_measurements() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/", "lesson/shifts.json")).unwrap();
    let figures = atelier::state::lesson::read_shift_figures(&bytes).expect("the shipped figures read");
    let find = |model: &str| figures.iter().find(|f| f.model == model).unwrap_or_else(|| panic!("{model}"));
    let (cnn, dense) = (find("Atelier CNN"), find("Dense 128"));
    // Unmoved, the lesson's CNN (five epochs on unmoved pictures, like its dense network; the
    // shipped model before the paired one, README "Training natively") scores its 9,262 of 10,000.
    assert_eq!((cnn.images, cnn.accuracy[0]), (10_000, 0.9262));
    assert_eq!((cnn.accuracy.len(), dense.accuracy.len()), (5, 5), "0 to 4 px");
    assert!(cnn.accuracy[3] > dense.accuracy[3] + 0.15, "moved 3 px, the CNN keeps far more");
    assert!(
        atelier::state::lesson::read_shift_figures(b"[{\"model\":\"x\",\"images\":1,\"accuracy\":[7.0]}]").is_err()
    );
    assert!(atelier::state::lesson::read_shift_figures(b"<html>").is_err());
}
