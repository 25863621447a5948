//! The run's life cycle as a pure state machine, shared by the worker and the page.
//!
//! The worker moves along it and reports each state ([`super::FromEngine::Phase`]); the page
//! shows that state and checks a button against the same rules before sending it (an invalid
//! press is disabled, or refused with the reason, instead of being a silent no-op).

use serde::{Deserialize, Serialize};

/// Saved runs keep it as JSON, externally tagged (`"Paused"`, `{"Done":{"stopped_early":true}}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RunState {
    /// Nothing trained yet, or reset: the config may change.
    #[default]
    Idle,
    Running,
    /// Between two steps; the model and optimizer state are kept.
    Paused,
    /// All epochs trained, or stopped early by the user.
    Done {
        stopped_early: bool,
    },
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "detail", rename_all = "kebab-case")]
pub enum RunEvent {
    Start,
    Pause,
    Resume,
    /// The user ends the run before its last epoch.
    Stop,
    /// The last epoch is done.
    Finish,
    Fail(String),
    /// Back to idle, dropping the trained model.
    Reset,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event} while {state}: {reason}")]
pub struct TransitionError {
    pub state: &'static str,
    pub event: &'static str,
    pub reason: &'static str,
}

impl RunState {
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Done { .. } => "done",
            Self::Error(_) => "error",
        }
    }

    /// Whether training is under way (running or paused), i.e. holds a live model.
    pub const fn is_active(&self) -> bool {
        matches!(self, Self::Running | Self::Paused)
    }

    /// The state `event` leads to, or why it can't happen now.
    pub fn apply(&self, event: &RunEvent) -> Result<RunState, TransitionError> {
        use RunEvent as E;
        use RunState as S;
        let refuse = |reason| Err(TransitionError { state: self.name(), event: event.name(), reason });
        match (self, event) {
            // A finished, stopped or failed run makes way for the new one.
            (S::Idle | S::Done { .. } | S::Error(_), E::Start) => Ok(S::Running),
            (S::Running, E::Pause) => Ok(S::Paused),
            (S::Paused, E::Resume) => Ok(S::Running),
            (S::Running | S::Paused, E::Stop) => Ok(S::Done { stopped_early: true }),
            (S::Running, E::Finish) => Ok(S::Done { stopped_early: false }),
            (S::Error(_), E::Fail(_)) => refuse("the run has already failed"),
            (_, E::Fail(reason)) => Ok(S::Error(reason.clone())),
            (S::Idle | S::Done { .. } | S::Error(_), E::Reset) => Ok(S::Idle),

            (S::Running | S::Paused, E::Start) => refuse("a run is already under way"),
            (S::Paused, E::Pause) => refuse("the run is already paused"),
            (S::Running, E::Resume) => refuse("the run is not paused"),
            (S::Running | S::Paused, E::Reset) => refuse("stop the run first"),
            (S::Paused, E::Finish) => refuse("a paused run cannot finish; resume it first"),
            (_, E::Pause | E::Resume | E::Stop | E::Finish) => refuse("no run is under way"),
        }
    }

    /// Applies `event` in place; on error the state is unchanged.
    pub fn transition(&mut self, event: &RunEvent) -> Result<(), TransitionError> {
        *self = self.apply(event)?;
        Ok(())
    }

    /// Whether the training config may change now. While a run is active the model and
    /// optimizer were built from the config, so changing it would silently not apply.
    pub fn check_config_change(&self) -> Result<(), TransitionError> {
        if self.is_active() {
            Err(TransitionError {
                state: self.name(),
                event: "change the config",
                reason: "stop the run (or wait for it to finish) and reset first",
            })
        } else {
            Ok(())
        }
    }
}

impl RunEvent {
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
            Self::Finish => "finish",
            Self::Fail(_) => "fail",
            Self::Reset => "reset",
        }
    }
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
