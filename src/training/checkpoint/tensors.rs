//! A model's tensors by name, out of the device without blocking and back into a fresh model.
//!
//! Names are module paths (`AtelierCnn.block1.conv.weight`), which are the same in every model
//! built from the same config; Burn's `ParamId`s are not, so nothing here depends on them.

use std::collections::BTreeMap;

use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use burn::tensor::Transaction;

use super::CheckpointError;
use super::format::{Record, Values};
use crate::model::Model;

/// Named device tensors, each flattened to `[numel]` so tensors of every rank share one list,
/// waiting to be read back (all of them in one [`Transaction`]).
#[derive(Debug, Default)]
pub(crate) struct PendingTensors {
    names: Vec<String>,
    shapes: Vec<Vec<usize>>,
    tensors: Vec<Tensor<1>>,
}

impl PendingTensors {
    /// Every float tensor of `model`: parameters and batch-norm running statistics.
    ///
    /// Takes `model.valid()`, which also folds a batch norm's pending running-statistics update
    /// into its value (Burn keeps the latest one aside until the next forward pass); reading the
    /// training model directly would save statistics one step old.
    pub fn weights(model: &Model, prefix: &str) -> Self {
        let mut collector = Collector { path: Vec::new(), prefix, pending: Self::default() };
        model.valid().visit(&mut collector);
        collector.pending
    }

    pub fn push<const D: usize>(&mut self, name: String, tensor: Tensor<D>) {
        let shape = tensor.dims().to_vec();
        self.tensors.push(tensor.reshape([shape.iter().product::<usize>()])); // [numel]
        self.names.push(name);
        self.shapes.push(shape);
    }

    pub fn register(&self, transaction: Transaction) -> Transaction {
        self.tensors.iter().fold(transaction, |transaction, tensor| transaction.register(tensor.clone()))
    }

    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// The records, from this list's share of a transaction's results (in registration order).
    pub fn into_records(self, data: impl Iterator<Item = TensorData>) -> Vec<Record> {
        let records = self.names.into_iter().zip(self.shapes).zip(data);
        records
            .map(|((name, shape), data)| Record { name, shape, values: Values::F32(data.iter::<f32>().collect()) })
            .collect()
    }
}

struct Collector<'a> {
    path: Vec<String>,
    prefix: &'a str,
    pending: PendingTensors,
}

impl ModuleVisitor for Collector<'_> {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.pending.push(format!("{}{}", self.prefix, self.path.join(".")), param.val());
    }
}

/// Every float tensor's path and shape, read without initialising the model's lazy parameters:
/// a hostile file's config is checked against its weights before anything is allocated.
pub(crate) fn shapes(model: &Model) -> BTreeMap<String, Vec<usize>> {
    struct Shapes {
        path: Vec<String>,
        shapes: BTreeMap<String, Vec<usize>>,
    }
    impl ModuleVisitor for Shapes {
        fn enter_module(&mut self, name: &str, _container: &str) {
            self.path.push(name.to_owned());
        }
        fn exit_module(&mut self, _name: &str, _container: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.shapes.insert(self.path.join("."), param.lazy_shape().to_vec());
        }
    }
    let mut visitor = Shapes { path: Vec::new(), shapes: BTreeMap::new() };
    model.visit(&mut visitor);
    visitor.shapes
}

/// Checks that `weights` (names without prefix) are exactly the tensors `expected` describes.
pub(crate) fn check_weights(
    model: &'static str,
    expected: &BTreeMap<String, Vec<usize>>,
    weights: &BTreeMap<String, Record>,
) -> Result<(), CheckpointError> {
    let mismatch = |detail: String| Err(CheckpointError::Architecture { model, detail });
    if let Some(missing) = expected.keys().find(|name| !weights.contains_key(*name)) {
        return mismatch(format!("the file has no weights for {missing}"));
    }
    for (name, record) in weights {
        match (expected.get(name), &record.values) {
            (None, _) => {
                return mismatch(format!("the file has weights for {name}, which this model does not have"));
            }
            (Some(shape), Values::F32(_)) if *shape == record.shape => {}
            (Some(shape), Values::F32(_)) => {
                return mismatch(format!("{name} is {:?} in the file but {shape:?} in the model", record.shape));
            }
            (Some(_), Values::U32(_)) => {
                return mismatch(format!("{name} holds integers, not weights"));
            }
        }
    }
    Ok(())
}

/// Puts checked `weights` into `model` (parameters keep their ids, device and gradient setting).
pub(crate) fn load_weights(model: Model, weights: BTreeMap<String, Record>) -> Model {
    struct Loader {
        path: Vec<String>,
        weights: BTreeMap<String, Record>,
    }
    impl ModuleMapper for Loader {
        fn enter_module(&mut self, name: &str, _container: &str) {
            self.path.push(name.to_owned());
        }
        fn exit_module(&mut self, _name: &str, _container: &str) {
            self.path.pop();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let Some(Record { shape, values: Values::F32(values), .. }) = self.weights.remove(&self.path.join("."))
            else {
                return param; // unreachable after `check_weights`
            };
            let tensor = Tensor::from_data(TensorData::new(values, shape), &param.lazy_device());
            let id = param.id;
            param.transform_for_load(tensor, id)
        }
    }
    model.map(&mut Loader { path: Vec::new(), weights })
}

impl crate::training::Trainer {
    /// Fault injection for the tests (`TestHook::Diverge`): every weight becomes NaN, as after a
    /// step that diverged, so that the next step's loss is NaN whatever the data.
    pub fn poison_weights(&mut self) {
        struct Poison;
        impl ModuleMapper for Poison {
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
                let poisoned = param.val().mul_scalar(f32::NAN).detach();
                let id = param.id;
                param.transform_for_load(poisoned, id)
            }
        }
        self.model = self.model.clone().map(&mut Poison);
    }
}
