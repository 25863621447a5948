//! The trainer's optimizer — Adam, or SGD with optional momentum — with its state where a
//! checkpoint can read it.
//!
//! Why not Burn's `ModuleOptimizer`: it keeps each parameter's state private, and its only way
//! out, `to_record`, reads every moment with a blocking `into_data`, which panics in a browser on
//! WebGPU (moving the state to the CPU first does too: a cross-backend `to_device` is a blocking
//! read as well). So this walks the model itself, as `ModuleOptimizer` does, and applies the same
//! arithmetic: Burn's own per-tensor [`Adam`], and SGD's momentum written out (Burn's
//! `MomentumState` hides its velocity) with the exact operations of Burn's `Sgd`. The state is
//! kept by parameter path, which survives a reload, and flattened to `[numel]`, so that one map
//! holds the state of parameters of every rank.
//!
//! It also keeps the state out of the subnormal range. A parameter whose gradient stops (the
//! weights of a ReLU unit that died) sees its first moment or velocity multiplied by 0.9 each
//! step; that runs down into the subnormal floats within ~800 steps and sticks there (a few units
//! in the last place times 0.9 rounds back to itself). Arithmetic on subnormals takes the slow
//! path of x86 CPUs, and wasm cannot switch on flush-to-zero: a quarter of the Baseline CNN's
//! dense-layer moments were subnormal from step ~700, and its steps ran at half speed from there
//! (natively 40.1 s against 27.0 s an epoch with flush-to-zero set; the same in the page).

use std::collections::BTreeMap;

use burn::module::{ModuleMapper, Param};
use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, GradientsParams, Optimizer};
use burn::prelude::*;

use super::checkpoint::CheckpointError;
use super::checkpoint::format::{Record, Values};
use super::checkpoint::tensors::PendingTensors;
use crate::model::Model;
use crate::training::{OptimizerKind, TrainingConfig};

/// Every this many steps, state below [`NEGLIGIBLE`] is set to zero. A value just above it that
/// decays by 0.9 (Adam's first moment, SGD's usual momentum) or more slowly stays a normal float
/// until the next flush (0.9^16 · 1e-30 ≫ 1.2e-38); a faster decay (a momentum below 0.32) passes
/// through the subnormals in a few steps on its own and cannot stick there.
const FLUSH_EVERY: usize = 16;

/// Far below any update that moves a weight: Adam divides a moment this small by √v + ε (ε =
/// 1e-5), which changes no weight larger than ~1e-18 (measured: the same weights bit for bit).
const NEGLIGIBLE: f32 = 1e-30;

/// One parameter's optimizer state, flattened.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant, reason = "one entry per parameter, a dozen at most")]
enum ParamState {
    /// Adam's step count and moment estimates, `[numel]` each.
    Adam { steps: usize, moment_1: Tensor<1>, moment_2: Tensor<1> },
    /// SGD's velocity `[numel]`.
    Momentum { velocity: Tensor<1> },
}

#[derive(Clone)]
enum Rule {
    Adam(Adam),
    /// `momentum` as Burn's `Momentum` holds it (f32); `None` is plain SGD, which has no state.
    Sgd {
        momentum: Option<f32>,
    },
}

#[derive(Clone)]
pub(crate) struct TrainingOptimizer {
    rule: Rule,
    /// By parameter path; a parameter without a gradient yet has no entry.
    states: BTreeMap<String, ParamState>,
}

impl TrainingOptimizer {
    /// The optimizer `config` asks for, with the settings of [`TrainingConfig::optimizer`]:
    /// Adam's defaults, textbook momentum without dampening.
    pub fn new(config: &TrainingConfig) -> Self {
        let rule = match config.optimizer {
            OptimizerKind::Adam => Rule::Adam(AdamConfig::new().build()),
            OptimizerKind::Sgd => Rule::Sgd { momentum: (config.momentum > 0.0).then_some(config.momentum as f32) },
        };
        Self { rule, states: BTreeMap::new() }
    }

    /// Updates every parameter that has a gradient in `grads`; `global_step` (the run's step
    /// count, which a resumed run restores) says when to flush negligible state.
    pub fn step(&mut self, global_step: usize, learning_rate: f64, model: Model, grads: GradientsParams) -> Model {
        let flush = global_step % FLUSH_EVERY == FLUSH_EVERY - 1;
        let mut mapper =
            StepMapper { path: Vec::new(), rule: &self.rule, states: &mut self.states, grads, learning_rate, flush };
        model.map(&mut mapper)
    }

    /// The state tensors to read for a checkpoint, and Adam's step counts (host-side already).
    pub fn pending(&self) -> (PendingTensors, BTreeMap<String, usize>) {
        let mut pending = PendingTensors::default();
        let mut steps = BTreeMap::new();
        for (path, state) in &self.states {
            match state {
                ParamState::Adam { steps: count, moment_1, moment_2 } => {
                    pending.push(format!("adam/{path}/moment_1"), moment_1.clone());
                    pending.push(format!("adam/{path}/moment_2"), moment_2.clone());
                    steps.insert(path.clone(), *count);
                }
                ParamState::Momentum { velocity } => {
                    pending.push(format!("momentum/{path}/velocity"), velocity.clone())
                }
            }
        }
        (pending, steps)
    }

    /// Restores the state saved by [`TrainingOptimizer::pending`], checking every tensor against
    /// the model's parameter `shapes`. `device` is the inner (non-autodiff) device, where the
    /// optimizer's arithmetic runs.
    pub fn restore(
        mut self,
        records: Vec<Record>,
        adam_steps: &BTreeMap<String, usize>,
        shapes: &BTreeMap<String, Vec<usize>>,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let corrupt = |detail: String| CheckpointError::Corrupt { file: super::FileKind::Checkpoint.title(), detail };
        let mut moments: BTreeMap<String, [Option<Tensor<1>>; 2]> = BTreeMap::new();
        for Record { name, shape, values } in records {
            let Values::F32(values) = values else {
                return Err(corrupt(format!("optimizer state {name} is not f32")));
            };
            let (rule, rest) = name.split_once('/').unwrap_or_default();
            let (path, field) = rest.rsplit_once('/').unwrap_or_default();
            let numel = shapes.get(path).map(|shape| shape.iter().product::<usize>());
            if numel != Some(values.len()) || shape != [values.len()] {
                return Err(corrupt(format!("optimizer state {name} does not fit any parameter of the model")));
            }
            let tensor = Tensor::<1>::from_data(TensorData::new(values, shape), device);
            match (&self.rule, rule, field) {
                (Rule::Adam(_), "adam", "moment_1") => moments.entry(path.to_owned()).or_default()[0] = Some(tensor),
                (Rule::Adam(_), "adam", "moment_2") => moments.entry(path.to_owned()).or_default()[1] = Some(tensor),
                (Rule::Sgd { momentum: Some(_) }, "momentum", "velocity") => {
                    self.states.insert(path.to_owned(), ParamState::Momentum { velocity: tensor });
                }
                _ => {
                    return Err(corrupt(format!("optimizer state {name} does not belong to this run's optimizer")));
                }
            }
        }
        for (path, moments) in moments {
            let (Some(steps), [Some(moment_1), Some(moment_2)]) = (adam_steps.get(&path), moments) else {
                return Err(corrupt(format!("Adam's state for {path} is incomplete")));
            };
            self.states.insert(path, ParamState::Adam { steps: *steps, moment_1, moment_2 });
        }
        Ok(self)
    }
}

struct StepMapper<'a> {
    path: Vec<String>,
    rule: &'a Rule,
    states: &'a mut BTreeMap<String, ParamState>,
    grads: GradientsParams,
    learning_rate: f64,
    /// Set negligible state to zero after this step.
    flush: bool,
}

/// `values` with every entry smaller in magnitude than [`NEGLIGIBLE`] set to zero.
fn flushed(values: Tensor<1>) -> Tensor<1> {
    let negligible = values.clone().abs().lower_elem(NEGLIGIBLE);
    values.mask_fill(negligible, 0.0)
}

impl ModuleMapper for StepMapper<'_> {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        // Batch-norm statistics and frozen parameters have no gradient: left as they are.
        let Some(grad) = self.grads.remove::<D>(param.id) else {
            return param;
        };
        let (id, tensor, mapper) = param.consume();
        let path = self.path.join(".");
        let shape = tensor.shape();
        let numel = shape.num_elements();
        // Taken before the update leaves the tape, put back after (as Burn's optimizer does).
        let require_grad = tensor.is_require_grad();
        let checkpointing = tensor.gradient_checkpointing_strategy();
        let tensor = tensor.inner();
        let lr = self.learning_rate;

        let (updated, state) = match (self.rule, self.states.remove(&path)) {
            (Rule::Adam(adam), previous) => {
                let previous = match previous {
                    Some(ParamState::Adam { steps, moment_1, moment_2 }) => Some(AdamState::new(
                        AdaptiveMomentumState::new(steps, moment_1.reshape(shape.clone()), moment_2.reshape(shape)),
                    )),
                    _ => None,
                };
                let (updated, state) = adam.step(lr, tensor, grad, previous);
                let state = state.map(|AdamState { momentum }| ParamState::Adam {
                    steps: momentum.time,
                    moment_1: momentum.moment_1.reshape([numel]),
                    moment_2: momentum.moment_2.reshape([numel]),
                });
                (updated, state)
            }
            (Rule::Sgd { momentum: Some(momentum) }, previous) => {
                // Burn's `Momentum` without dampening: v = g·1 + μ·v (the first step: v = g).
                let velocity = match previous {
                    Some(ParamState::Momentum { velocity }) => grad + velocity.reshape(shape).mul_scalar(*momentum),
                    _ => grad,
                };
                let updated = tensor - velocity.clone().mul_scalar(lr);
                (updated, Some(ParamState::Momentum { velocity: velocity.reshape([numel]) }))
            }
            (Rule::Sgd { momentum: None }, _) => (tensor - grad.mul_scalar(lr), None),
        };
        if let Some(state) = state {
            let state = match state {
                _ if !self.flush => state,
                ParamState::Adam { steps, moment_1, moment_2 } => {
                    ParamState::Adam { steps, moment_1: flushed(moment_1), moment_2: flushed(moment_2) }
                }
                ParamState::Momentum { velocity } => ParamState::Momentum { velocity: flushed(velocity) },
            };
            self.states.insert(path, state);
        }

        let mut updated = Tensor::from_inner(updated);
        if let Some(strategy) = checkpointing {
            updated = updated.with_gradient_checkpointing_strategy(strategy);
        }
        if require_grad {
            updated = updated.require_grad();
        }
        Param::from_mapped_value(id, updated, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DenseConfig, ModelConfig};
    use crate::training::Normalization;
    use crate::training::checkpoint::PendingModelFile;

    /// A small dense model and two images of a repeating pixel pattern (period `period`).
    struct Fixture {
        model_config: ModelConfig,
        images: Tensor<4>,
    }

    impl Fixture {
        fn new(period: usize) -> Self {
            let device = Device::flex().autodiff();
            let pixels: Vec<f32> = (0..2 * 784).map(|i| (i % period) as f32 / period as f32).collect();
            let images = Tensor::<4>::from_data(TensorData::new(pixels, [2, 1, 28, 28]), &device);
            Self { model_config: ModelConfig::Dense(DenseConfig::new().with_hidden(vec![8])), images }
        }

        fn model(&self) -> Model {
            self.model_config.init(&self.images.device())
        }

        /// The gradients of `scale` × the mean squared output.
        fn grads(&self, model: &Model, scale: f64) -> GradientsParams {
            let loss = model.forward(self.images.clone()).powi_scalar(2).mean().mul_scalar(scale); // [1]
            GradientsParams::from_grads(loss.backward(), model)
        }

        fn bytes(&self, model: &Model) -> Vec<u8> {
            PendingModelFile::new(model, self.model_config.clone(), Normalization::Unit).read().to_bytes()
        }
    }

    /// Steps with Burn's `ModuleOptimizer` and with this one, from the same weights: the same
    /// weights after each, bit for bit (so swapping them changed no run's numbers).
    fn matches_burns_optimizer(config: TrainingConfig) {
        let fixture = Fixture::new(7);
        let (model, grads, bytes) = (fixture.model(), |m: &Model| fixture.grads(m, 1.0), |m: &Model| fixture.bytes(m));

        let initial = bytes(&model);
        let (mut burn_model, mut our_model) = (model.clone(), model);
        let (mut burns, mut ours) = (config.optimizer(), TrainingOptimizer::new(&config));
        for step in 0..4 {
            let rate = 0.05 / (step + 1) as f64;
            burn_model = burns.step(rate, burn_model.clone(), grads(&burn_model));
            our_model = ours.step(step, rate, our_model.clone(), grads(&our_model));
            assert_eq!(bytes(&burn_model), bytes(&our_model), "{:?} step {step}", config.optimizer);
        }
        assert_ne!(bytes(&our_model), initial, "the weights moved");
        assert!(!ours.states.is_empty() || config.momentum == 0.0);
    }

    /// One real gradient, then none for 1,200 steps (a unit that died): the state decays for
    /// good, and never into the subnormal floats (without the flush Adam's first moment and SGD's
    /// velocity sit there from step ~800); the weights stay Burn's bit for bit all the way.
    fn decayed_state_stays_normal(config: TrainingConfig) {
        let fixture = Fixture::new(5);
        let (model, grads, bytes) =
            (fixture.model(), |m: &Model, scale| fixture.grads(m, scale), |m: &Model| fixture.bytes(m));
        let subnormal = |tensor: &Tensor<1>| {
            tensor.clone().into_data().try_to_vec::<f32>().unwrap().into_iter().filter(|x| x.is_subnormal()).count()
        };

        let (mut burn_model, mut our_model) = (model.clone(), model);
        let (mut burns, mut ours) = (config.optimizer(), TrainingOptimizer::new(&config));
        for step in 0..1200 {
            let scale = if step == 0 { 1.0 } else { 0.0 };
            burn_model = burns.step(0.01, burn_model.clone(), grads(&burn_model, scale));
            our_model = ours.step(step, 0.01, our_model.clone(), grads(&our_model, scale));
            for (path, state) in &ours.states {
                let tensors = match state {
                    ParamState::Adam { moment_1, moment_2, .. } => vec![moment_1, moment_2],
                    ParamState::Momentum { velocity } => vec![velocity],
                };
                for tensor in tensors {
                    assert_eq!(subnormal(tensor), 0, "{:?}: {path} after step {step}", config.optimizer);
                }
            }
        }
        assert_eq!(bytes(&burn_model), bytes(&our_model), "{:?}: the flush moved a weight", config.optimizer);
    }

    #[test]
    fn decayed_adam_and_momentum_state_stays_normal() {
        decayed_state_stays_normal(TrainingConfig::new());
        decayed_state_stays_normal(TrainingConfig::new().with_optimizer(OptimizerKind::Sgd));
    }

    #[test]
    fn adam_matches_burn() {
        matches_burns_optimizer(TrainingConfig::new());
    }

    #[test]
    fn sgd_with_and_without_momentum_matches_burn() {
        matches_burns_optimizer(TrainingConfig::new().with_optimizer(OptimizerKind::Sgd));
        matches_burns_optimizer(TrainingConfig::new().with_optimizer(OptimizerKind::Sgd).with_momentum(0.0));
    }
}
