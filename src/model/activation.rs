//! The activations a user can pick for the dense model.
//!
//! A small serde enum of our own rather than Burn's `ActivationConfig`: the UI and the worker
//! exchange it as JSON and it should only offer the four the lessons discuss.

use burn::nn::activation::{Activation, ActivationConfig};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Hidden-layer non-linearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivationKind {
    #[default]
    Relu,
    Sigmoid,
    Tanh,
    Gelu,
}

impl ActivationKind {
    pub const ALL: [ActivationKind; 4] = [Self::Relu, Self::Sigmoid, Self::Tanh, Self::Gelu];

    /// Stable lower-case name (the serde name), for command lines and labels.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::Gelu => "gelu",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name().eq_ignore_ascii_case(name))
    }

    /// The Burn module; none of the four has parameters, so the device is only a formality.
    pub fn init(self, device: &Device) -> Activation {
        let config = match self {
            Self::Relu => ActivationConfig::Relu,
            Self::Sigmoid => ActivationConfig::Sigmoid,
            Self::Tanh => ActivationConfig::Tanh,
            Self::Gelu => ActivationConfig::Gelu,
        };
        config.init(device)
    }
}

impl std::fmt::Display for ActivationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
