//! `train --throughput`: images/s of each model's training steps on one backend, with no browser
//! around them, so the GPU kernels can be measured on any machine with a GPU (issue #13). On the
//! wgpu runtime it also counts the kernel launches of one step (cubecl's launch observer): the
//! figure that kernel fusion should bring down.

use std::time::Instant;

use atelier::data::FashionMnist;
use atelier::model::ModelChoice;
use atelier::training::{Trainer, TrainingConfig, TrainingData};
use burn::prelude::*;

/// Steps before timing: buffers allocated, kernels compiled.
const WARM_UP_STEPS: usize = 10;
/// A window ends after this many steps and at least [`MIN_SECONDS`] (or at the epoch's end).
const MIN_STEPS: usize = 50;
const MIN_SECONDS: f64 = 3.0;

/// Trains each model (or, `one`, only `config`'s own) for a short window at `config`'s batch
/// size and prints its images/s, the loss read back after every step as the page does.
pub fn measure(
    config: &TrainingConfig,
    one: bool,
    data: &FashionMnist,
    device: &Device,
    backend: &str,
) -> Result<(), String> {
    println!("backend {backend}, batch {}, loss read every step", config.batch_size);
    let models = if one {
        vec![config.model.clone()]
    } else {
        [ModelChoice::Dense, ModelChoice::BaselineCnn, ModelChoice::AtelierCnn].map(|m| m.default_config()).into()
    };
    for model_config in models {
        let model = model_config.kind();
        let config = config.clone().with_model(model_config);
        let training = TrainingData::new(data.train.clone(), None);
        let mut trainer = Trainer::new(config.clone(), training, device).map_err(|e| e.to_string())?;
        for _ in 0..WARM_UP_STEPS {
            step(&mut trainer)?;
        }
        let launches = launches_of_one_step(&mut trainer)?;
        let started = Instant::now();
        let mut steps = 0;
        while steps < MIN_STEPS || started.elapsed().as_secs_f64() < MIN_SECONDS {
            // The window also ends with the epoch (a fast model on a fast device).
            let Some(pending) = trainer.step() else { break };
            pending.read();
            steps += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = (steps * config.batch_size) as f64 / seconds;
        let launches = launches.map_or(String::new(), |n| format!(", {n} kernel launches a step"));
        println!(
            "{:<12} {rate:>9.0} images/s  ({steps} steps in {seconds:.2} s, {:.2} ms a step{launches})",
            model.title(),
            1000.0 * seconds / steps as f64
        );
    }
    Ok(())
}

/// One step, its loss read back (which waits for the device).
fn step(trainer: &mut Trainer) -> Result<f32, String> {
    let pending = trainer.step().ok_or("the epoch ended")?;
    Ok(pending.read().loss)
}

/// The kernels one step launches on the wgpu runtime (`None` on the CPU, which has no kernels).
#[cfg(feature = "gpu")]
fn launches_of_one_step(trainer: &mut Trainer) -> Result<Option<usize>, String> {
    use cubecl_runtime::logging::{LaunchObservation, LaunchObserver};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Count(AtomicUsize);
    impl LaunchObserver for Count {
        fn launched(&self, _kernel: &'static str) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let count = Arc::new(Count::default());
    let watching = LaunchObservation::new(count.clone());
    let result = step(trainer);
    drop(watching);
    result?;
    let launched = count.0.load(Ordering::Relaxed);
    Ok((launched > 0).then_some(launched))
}

#[cfg(not(feature = "gpu"))]
fn launches_of_one_step(trainer: &mut Trainer) -> Result<Option<usize>, String> {
    step(trainer).map(|_| None)
}
