//! The numbers behind the lesson's "why a CNN wins": a model's answer for one picture, its first
//! layer's weights as pictures and, for a CNN, where each filter fired. One transaction, like
//! every read of this module.

use burn::prelude::*;
use burn::tensor::activation::softmax;
use burn::tensor::{ExecutionError, Transaction};

use crate::data::PIXELS_PER_IMAGE;
use crate::model::ModelChoice;
use crate::protocol::{ModelView, Picture};

use super::Classifier;

/// A [`ModelView`] whose numbers are still on the device.
#[derive(Debug, Clone)]
pub struct PendingView {
    model: ModelChoice,
    /// How many units to draw.
    units: usize,
    /// `[1, 10]`
    probabilities: Tensor<2>,
    /// `[units, 1, k, k]`
    kernels: Tensor<4>,
    /// `[1, units, h, w]`
    maps: Option<Tensor<4>>,
}

impl Classifier {
    /// The answer for `image`, and the `units` strongest units of the first layer (all if
    /// fewer). The strongest (largest weights) are those training shaped most: a dense network's
    /// draw the clearest garments, where a weak unit still shows its random start. They are
    /// picked on the host, after the read: a few hundred kB, and no sort on the device.
    pub fn inspect(&self, image: &[u8; PIXELS_PER_IMAGE], units: usize) -> PendingView {
        let input = self.input(std::slice::from_ref(image)); // [1, 1, 28, 28]
        let probabilities = softmax(self.model().forward(input.clone()), 1);
        let layer = self.model().first_layer(input);
        PendingView { model: self.model().kind(), units, probabilities, kernels: layer.kernels, maps: layer.maps }
    }
}

impl PendingView {
    /// Blocking read; native only (panics in a browser on WebGPU).
    pub fn read(self) -> ModelView {
        let data = self.transaction().execute();
        self.view(data)
    }

    pub async fn read_async(self) -> Result<ModelView, ExecutionError> {
        let data = self.transaction().execute_async().await?;
        Ok(self.view(data))
    }

    fn transaction(&self) -> Transaction {
        let transaction = Transaction::default().register(self.probabilities.clone()).register(self.kernels.clone());
        match &self.maps {
            Some(maps) => transaction.register(maps.clone()),
            None => transaction,
        }
    }

    fn view(&self, data: Vec<TensorData>) -> ModelView {
        let mut data = data.into_iter();
        let probabilities = data.next().map(|d| d.iter::<f32>().collect()).unwrap_or_default();
        let [_, _, side, _] = self.kernels.dims();
        let kernels = data.next().map(|d| pictures(&d, side)).unwrap_or_default();
        let side = self.maps.as_ref().map_or(0, |maps| maps.dims()[2]);
        let maps = data.next().map(|d| pictures(&d, side)).unwrap_or_default();
        let strength = |p: &Picture| p.values.iter().map(|v| v * v).sum::<f32>();
        let mut units: Vec<usize> = (0..kernels.len()).collect();
        units.sort_by(|&a, &b| strength(&kernels[b]).total_cmp(&strength(&kernels[a])));
        units.truncate(self.units);
        let pick = |all: &[Picture]| units.iter().filter_map(|&u| all.get(u).cloned()).collect();
        ModelView { model: self.model, probabilities, kernels: pick(&kernels), maps: pick(&maps), units }
    }
}

/// Consecutive `side × side` pictures of a tensor's data.
fn pictures(data: &TensorData, side: usize) -> Vec<Picture> {
    let values: Vec<f32> = data.iter::<f32>().collect();
    values.chunks(side * side).map(|values| Picture { side, values: values.to_vec() }).collect()
}
