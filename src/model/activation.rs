//! The activations a user can pick for the dense model.
//!
//! The enum itself is the protocol's (plain serde, no Burn, so the page can offer it); the
//! engine adds how to build each one. Only the four the lessons discuss are offered.

use burn::nn::activation::{Activation as ActivationLayer, ActivationConfig};
use burn::prelude::*;

use crate::protocol::Activation;

impl Activation {
    /// The Burn module; none of the four has parameters, so the device is only a formality.
    pub fn init(self, device: &Device) -> ActivationLayer {
        let config = match self {
            Self::Relu => ActivationConfig::Relu,
            Self::Sigmoid => ActivationConfig::Sigmoid,
            Self::Tanh => ActivationConfig::Tanh,
            Self::Gelu => ActivationConfig::Gelu,
        };
        config.init(device)
    }
}
