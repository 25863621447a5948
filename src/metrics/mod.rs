//! Plain maths over reported metrics, shared by the charts and tests (no Burn, no browser).

mod smoothing;

pub use smoothing::smooth;
