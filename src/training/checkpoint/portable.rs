//! Model files as safetensors, the format the field shares weights in, so an export opens in
//! Python (`safetensors.numpy.load_file`) as well as in Atelier.
//!
//! ```text
//! tensors     f32, named by module path without the model's name: "block1.conv.weight",
//!             "hidden.0.bias", "output.weight" … Linear weights are [in, out] (y = x @ W + b),
//!             convolutions [out, in, kh, kw] (as PyTorch), batch norm "gamma", "beta",
//!             "running_mean", "running_var" (eps 1e-5).
//! __metadata__ "atelier":       MODEL_FORMAT (what marks the file as Atelier's)
//!              "model":         the ModelConfig as JSON ({"kind": "dense", "hidden": [128], …})
//!              "normalization": "unit" (x / 255) or "standard" ((x / 255 − mean) / std)
//!              "pixel_mean", "pixel_std": the standard normalisation's figures
//!              "test_accuracy": on the 10,000 test images, when known
//!              "checksum":      FNV-1a of the tensor data, so damage is found (optional:
//!                               a file re-saved from Python loads without it)
//! ```
//!
//! The safetensors crate checks the header against the bytes present (no allocation beyond the
//! file); the model's own checks (config, names, shapes, finite values) follow as for any file.

use std::collections::{BTreeMap, HashMap};

use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, TensorView};

use super::CheckpointError;
use super::format::{FileKind, Record, Values, fnv1a};
use super::model_file::ModelFile;
use crate::model::{ModelChoice, ModelConfig};
use crate::training::{Normalization, PIXEL_MEAN, PIXEL_STD};

/// The value of the `atelier` metadata key: bumped when the meaning of the file changes.
pub const MODEL_FORMAT: &str = "model/2";

impl ModelFile {
    /// The model as a safetensors file (see the module doc for its layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let prefix = variant(self.kind());
        let data: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .weights
            .values()
            .filter_map(|record| match &record.values {
                Values::F32(values) => Some((
                    record.name.strip_prefix(prefix).unwrap_or(&record.name).to_owned(),
                    record.shape.clone(),
                    values.iter().flat_map(|value| value.to_le_bytes()).collect(),
                )),
                Values::U32(_) => None,
            })
            .collect();
        let mut metadata = HashMap::from([
            ("atelier".to_owned(), MODEL_FORMAT.to_owned()),
            ("model".to_owned(), serde_json::to_string(&self.config).expect("a config serialises")),
            ("normalization".to_owned(), normalization_name(self.normalization)),
            ("pixel_mean".to_owned(), PIXEL_MEAN.to_string()),
            ("pixel_std".to_owned(), PIXEL_STD.to_string()),
        ]);
        if let Some(accuracy) = self.test_accuracy {
            metadata.insert("test_accuracy".to_owned(), accuracy.to_string());
        }
        // The crate lays tensors out sorted by name (all are f32): checksum them in that order.
        let mut sorted: Vec<&(String, Vec<usize>, Vec<u8>)> = data.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        metadata.insert("checksum".to_owned(), format!("{:016x}", fnv1a(sorted.iter().flat_map(|t| t.2.iter()))));
        let views = data.iter().map(|(name, shape, bytes)| {
            (name.as_str(), TensorView::new(Dtype::F32, shape.clone(), bytes).expect("shape matches the values"))
        });
        let bytes = safetensors::serialize(views, Some(metadata.into_iter().collect()))
            .expect("a model's header is far below the limit");
        with_sorted_header(bytes)
    }

    /// Reads a safetensors model file; the caller checks the weights against the config.
    pub(super) fn from_safetensors(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let title = FileKind::Model.title();
        let corrupt = |detail: String| CheckpointError::Corrupt { file: title, detail };
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|error| match (bytes.get(8), error) {
            (Some(b'{'), SafeTensorError::InvalidHeaderLength | SafeTensorError::MetadataIncompleteBuffer) => {
                CheckpointError::Truncated {
                    file: title,
                    detail: format!("its {} bytes are not the ones its header describes", bytes.len()),
                }
            }
            (Some(b'{'), error) => corrupt(format!("it is not a readable safetensors file ({error})")),
            _ => CheckpointError::NotAtelier { expected: title },
        })?;
        let meta = header.metadata().clone().unwrap_or_default();
        let field = |key: &str| meta.get(key).ok_or_else(|| corrupt(format!("its metadata has no {key:?}")));
        match meta.get("atelier").map(String::as_str) {
            Some(MODEL_FORMAT) => {}
            Some(other) => {
                return Err(corrupt(format!("it is an Atelier file of another kind ({other}, not {MODEL_FORMAT})")));
            }
            None => return Err(corrupt("it is a safetensors file, but not one exported by Atelier".into())),
        }
        let config: ModelConfig = serde_json::from_str(field("model")?)
            .map_err(|e| corrupt(format!("its model description cannot be read ({e})")))?;
        let normalization: Normalization = serde_json::from_value(field("normalization")?.as_str().into())
            .map_err(|e| corrupt(format!("its normalisation cannot be read ({e})")))?;
        let test_accuracy = match meta.get("test_accuracy") {
            Some(text) => match text.parse::<f32>() {
                Ok(accuracy) if (0.0..=1.0).contains(&accuracy) => Some(accuracy),
                _ => return Err(corrupt(format!("its test accuracy {text:?} is not a fraction"))),
            },
            None => None,
        };
        let file = SafeTensors::deserialize(bytes).map_err(|e| corrupt(e.to_string()))?;
        if let Some(stored) = meta.get("checksum") {
            let mut tensors = file.tensors();
            tensors.sort_by(|a, b| a.0.cmp(&b.0));
            let actual = format!("{:016x}", fnv1a(tensors.iter().flat_map(|(_, view)| view.data().iter())));
            if *stored != actual {
                return Err(corrupt("its checksum does not match: the weights were altered".into()));
            }
        }
        let prefix = variant(config.kind());
        let mut weights = Vec::new();
        for (name, view) in file.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(corrupt(format!("{name} holds {:?} values; Atelier's weights are F32", view.dtype())));
            }
            let values = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            weights.push(Record {
                name: format!("{prefix}{name}"),
                shape: view.shape().to_vec(),
                values: Values::F32(values),
            });
        }
        Ok(ModelFile::from_parts(config, normalization, super::model_file::by_name(weights))
            .with_test_accuracy(test_accuracy))
    }
}

/// The same file with its JSON header's keys in order. The crate writes its metadata from a
/// hash map, in an order that changes from run to run; sorted, the same model always gives the
/// same bytes (tests compare files byte for byte, and a re-export is identical).
fn with_sorted_header(bytes: Vec<u8>) -> Vec<u8> {
    let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + header_len]).expect("the crate writes valid JSON");
    let sorted = header.into_iter().map(|(key, value)| match value {
        serde_json::Value::Object(map) => (key, serde_json::to_value(map.into_iter().collect::<BTreeMap<_, _>>())),
        value => (key, Ok(value)),
    });
    let sorted: BTreeMap<String, serde_json::Value> =
        sorted.map(|(key, value)| (key, value.expect("JSON to JSON"))).collect();
    let mut json = serde_json::to_vec(&sorted).expect("JSON to JSON");
    // Keep the crate's 8-byte alignment of the data (padded with spaces, as it does).
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut file = Vec::with_capacity(8 + json.len() + bytes.len() - 8 - header_len);
    file.extend_from_slice(&(json.len() as u64).to_le_bytes());
    file.extend_from_slice(&json);
    file.extend_from_slice(&bytes[8 + header_len..]);
    file
}

/// "unit" or "standard", as plain text for Python readers (serde's name for it, unquoted).
fn normalization_name(normalization: Normalization) -> String {
    match serde_json::to_value(normalization) {
        Ok(serde_json::Value::String(name)) => name,
        _ => unreachable!("a unit enum serialises as a string"),
    }
}

/// The model's own name at the head of every module path (`AtelierCnn.block1.conv.weight`),
/// left out of the file: the metadata says which model it is.
fn variant(kind: ModelChoice) -> &'static str {
    match kind {
        ModelChoice::Dense => "Dense.",
        ModelChoice::BaselineCnn => "BaselineCnn.",
        ModelChoice::AtelierCnn => "AtelierCnn.",
    }
}
