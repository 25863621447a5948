//! The run state machine: every valid transition, and a reason for every invalid one.

use atelier::protocol::{RunEvent as E, RunState as S};

fn all_events() -> Vec<E> {
    vec![E::Start, E::Pause, E::Resume, E::Stop, E::Finish, E::Fail("boom".into()), E::Reset]
}

fn all_states() -> Vec<S> {
    vec![
        S::Idle,
        S::Running,
        S::Paused,
        S::Done { stopped_early: false },
        S::Done { stopped_early: true },
        S::Error("x".into()),
    ]
}

#[test]
fn a_full_run_with_a_pause() {
    let mut state = S::default();
    for event in [E::Start, E::Pause, E::Resume, E::Finish, E::Reset] {
        state.transition(&event).unwrap();
    }
    assert_eq!(state, S::Idle);
}

#[test]
fn stop_and_fail_end_a_run() {
    assert_eq!(S::Paused.apply(&E::Stop).unwrap(), S::Done { stopped_early: true });
    assert_eq!(S::Running.apply(&E::Stop).unwrap(), S::Done { stopped_early: true });
    assert_eq!(S::Running.apply(&E::Finish).unwrap(), S::Done { stopped_early: false });
    assert_eq!(S::Running.apply(&E::Fail("oom".into())).unwrap(), S::Error("oom".into()));
    assert_eq!(S::Error("oom".into()).apply(&E::Reset).unwrap(), S::Idle);
}

#[test]
fn a_new_run_replaces_a_finished_or_failed_one() {
    for state in [S::Done { stopped_early: false }, S::Done { stopped_early: true }, S::Error("oom".into())] {
        assert_eq!(state.apply(&E::Start).unwrap(), S::Running, "{state:?}");
    }
}

#[test]
fn invalid_transitions_leave_the_state_and_say_why() {
    let cases = [
        (S::Idle, E::Pause, "no run is under way"),
        (S::Running, E::Start, "a run is already under way"),
        (S::Paused, E::Pause, "the run is already paused"),
        (S::Running, E::Resume, "the run is not paused"),
        (S::Running, E::Reset, "stop the run first"),
        (S::Paused, E::Finish, "a paused run cannot finish; resume it first"),
    ];
    for (state, event, reason) in cases {
        let mut current = state.clone();
        let err = current.transition(&event).unwrap_err();
        assert_eq!(err.reason, reason, "{state:?} + {event:?}");
        assert_eq!(current, state);
        assert!(err.to_string().contains(reason));
    }
}

#[test]
fn every_pair_is_either_a_transition_or_a_reasoned_refusal() {
    let mut allowed = 0;
    for state in all_states() {
        for event in all_events() {
            match state.apply(&event) {
                Ok(_) => allowed += 1,
                Err(err) => assert_eq!(
                    (err.state, err.event),
                    (state.name(), event.name()),
                    "the refusal names the state and the event"
                ),
            }
        }
    }
    // 4 starts (idle, both dones, error), pause, resume, 2 stops, finish, 5 fails, 4 resets.
    assert_eq!(allowed, 18);
}

#[test]
fn config_changes_are_refused_while_a_run_is_active() {
    assert!(S::Running.check_config_change().is_err());
    assert!(S::Paused.check_config_change().is_err());
    assert!(S::Idle.check_config_change().is_ok());
    assert!(S::Done { stopped_early: true }.check_config_change().is_ok());
}

#[test]
fn states_keep_the_format_saved_runs_have() {
    // Saved runs (IndexedDB, JSON) hold the state as the page's former `RunPhase` wrote it.
    let json = serde_json::to_string(&S::Done { stopped_early: true }).unwrap();
    assert_eq!(json, r#"{"Done":{"stopped_early":true}}"#);
    assert_eq!(serde_json::to_string(&S::Running).unwrap(), r#""Running""#);
    assert_eq!(serde_json::to_string(&S::Error("oom".into())).unwrap(), r#"{"Error":"oom"}"#);
    for state in all_states() {
        let back: S = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(back, state);
    }
}
