//! Every model maps `[batch, 1, 28, 28]` (or `[batch, 784]`) to logits `[batch, 10]`, and the
//! configs survive the JSON trip the UI and worker make.

use atelier::data::{NUM_CLASSES, PIXELS_PER_IMAGE};
use atelier::model::{Activation, AtelierCnnConfig, DenseConfig, Model, ModelChoice, ModelConfig};
use burn::prelude::*;

fn configs() -> Vec<ModelConfig> {
    let mut configs: Vec<_> = ModelChoice::ALL.into_iter().map(ModelChoice::default_config).collect();
    for activation in Activation::ALL {
        let dense = DenseConfig::new().with_hidden(vec![64, 32]).with_activation(activation).with_dropout(0.2);
        configs.push(ModelConfig::Dense(dense));
    }
    configs.push(ModelConfig::Dense(DenseConfig::new().with_hidden(vec![])));
    for paired in [[false, true], [true, true]] {
        configs.push(ModelConfig::AtelierCnn(AtelierCnnConfig::new().with_paired(Some(paired))));
    }
    configs
}

#[test]
fn every_model_outputs_ten_logits_per_image() {
    for device in [Device::flex(), Device::flex().autodiff()] {
        for config in configs() {
            let model = config.init(&device);
            let images = Tensor::<4>::random([3, 1, 28, 28], burn::tensor::Distribution::Default, &device);
            assert_eq!(model.forward(images.clone()).dims(), [3, NUM_CLASSES], "{config:?}");
            let flat = images.reshape([3, PIXELS_PER_IMAGE]);
            assert_eq!(model.forward_flat(flat).dims(), [3, NUM_CLASSES], "{config:?}");
            assert_eq!(model.valid().forward(Tensor::zeros([1, 1, 28, 28], &device)).dims(), [1, NUM_CLASSES]);
        }
    }
}

#[test]
fn model_configs_round_trip_through_json() {
    for config in configs() {
        let json = serde_json::to_string(&config).unwrap();
        let back: ModelConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(format!("{back:?}"), format!("{config:?}"));
    }
    let json = serde_json::to_string(&ModelConfig::default()).unwrap();
    assert!(json.contains(r#""kind":"atelier-cnn""#), "{json}");
    // Saved runs and model files from before `paired` existed name no pairs: one block a stage.
    let old = r#"{"kind":"atelier-cnn","channels_1":32,"channels_2":64,"hidden":128,"dropout":0.1}"#;
    match serde_json::from_str(old).unwrap() {
        ModelConfig::AtelierCnn(cnn) => assert_eq!(cnn.paired, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_pair_adds_one_block_before_its_stage_pool() {
    let count = |paired| {
        Model::AtelierCnn(AtelierCnnConfig::new().with_paired(Some(paired)).init(&Device::flex())).num_params()
    };
    // 3×3 convolution without bias plus batch norm's four vectors of the stage's width.
    let block = |c: usize| 9 * c * c + 4 * c;
    assert_eq!(count([true, false]) - count([false, false]), block(32));
    assert_eq!(count([false, true]) - count([false, false]), block(64));
    assert_eq!(count([true, true]) - count([false, false]), block(32) + block(64));
}

#[test]
fn names_parse_back() {
    for kind in ModelChoice::ALL {
        assert_eq!(ModelChoice::from_name(kind.name()), Some(kind));
    }
    for activation in Activation::ALL {
        assert_eq!(Activation::from_name(activation.name()), Some(activation));
    }
    assert_eq!(ModelChoice::from_name("resnet"), None);
}

#[test]
fn the_default_model_stays_browser_sized() {
    let model = AtelierCnnConfig::new().init(&Device::flex());
    let params = Model::AtelierCnn(model).num_params();
    assert!(params < 600_000, "{params} parameters");
}
