//! Plain maths over reported metrics, shared by the charts and tests (no Burn, no browser).

mod evaluation;
mod pace;
mod smoothing;
mod thinning;

pub use evaluation::{ClassifiedSet, ConfusionMatrix, Probabilities, predicted_class};
pub use pace::Pace;
pub use smoothing::smooth;
pub use thinning::{Keep, thin_to_columns};
