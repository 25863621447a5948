//! Plain maths over reported metrics, shared by the charts and tests (no Burn, no browser).

mod evaluation;
mod pace;
mod smoothing;

pub use evaluation::{ClassifiedSet, ConfusionMatrix, Probabilities, predicted_class};
pub use pace::Pace;
pub use smoothing::smooth;
