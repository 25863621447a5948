//! The trainer's clock: wasm has no `Instant`, so the worker passes its own.

/// Seconds since some fixed origin. The browser passes `performance.now() / 1000`
/// (`std::time::Instant` panics on `wasm32-unknown-unknown`).
pub type Clock = fn() -> f64;

/// The default [`Clock`]: monotonic time natively; a stopped clock in wasm, where the worker
/// must supply its own with [`Trainer::with_clock`].
pub fn default_clock() -> f64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        ORIGIN.get_or_init(std::time::Instant::now).elapsed().as_secs_f64()
    }
    #[cfg(target_arch = "wasm32")]
    {
        0.0
    }
}
