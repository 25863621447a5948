//! Messages between the page and the engine survive the worker codec (gloo-worker's bincode)
//! unchanged, byte buffers with only a length prefix of overhead; checkpoints never travel.

use atelier::protocol::{
    ClassifierChoice, ClassifyRequest, FromEngine, ModelChoice, PROTOCOL_VERSION, StepInfo, StepReport,
    TestPredictions, ToEngine,
};

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(message: &T) -> (T, usize) {
    let bytes = bincode::serialize(message).expect("encodes");
    (bincode::deserialize(&bytes).expect("decodes"), bytes.len())
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn a_checkpoint_report_carries_no_bytes() {
    // The trainer stores the checkpoint itself; the page is told in a few bytes, however large
    // the checkpoint (an 11 MB one decoded on the page took a 35–75 ms task at each epoch end).
    for stored in [Ok(()), Err("the browser's storage for this site is full".to_string())] {
        let message = FromEngine::Checkpoint { run: 1, epoch: 3, global_step: 42, stored: stored.clone() };
        let (back, encoded) = round_trip(&message);
        let FromEngine::Checkpoint { run: 1, epoch: 3, global_step: 42, stored: back } = back else {
            panic!("another report came back")
        };
        assert_eq!(back, stored);
        assert!(encoded < 80, "{encoded} bytes");
    }
}

#[test]
fn test_predictions_travel_as_bytes() {
    let probabilities: Vec<f32> = (0..100_000).map(|i| (i % 977) as f32 / 977.0).collect();
    let message =
        FromEngine::TestPredictions(TestPredictions { run: 1, epoch: 2, probabilities: probabilities.clone() });
    let (back, encoded) = round_trip(&message);
    assert_eq!(back, message);
    // 4 bytes a value and a few of framing: one block to copy, not 100,000 numbers to decode.
    assert!(encoded - 4 * probabilities.len() < 32, "overhead {}", encoded - 4 * probabilities.len());
}

#[test]
fn page_to_engine_buffers_round_trip() {
    let (back, _) = round_trip(&ToEngine::ResumeRun { run: 3, checkpoint: pattern(5_000), readback_every: 10 });
    assert!(
        matches!(back, ToEngine::ResumeRun { run: 3, checkpoint, readback_every: 10 } if checkpoint == pattern(5_000))
    );
    let (back, _) = round_trip(&ToEngine::ImportModel { bytes: pattern(777), quiet: true });
    assert!(matches!(back, ToEngine::ImportModel { bytes, quiet: true } if bytes == pattern(777)));
    let request = ClassifyRequest { seq: 9, pixels: pattern(784), model: ClassifierChoice::Pretrained, input_at: 12.5 };
    let (back, _) = round_trip(&ToEngine::Classify(request.clone()));
    assert!(matches!(back, ToEngine::Classify(r) if r == request));
    let (back, _) = round_trip(&FromEngine::ModelFile { model: ModelChoice::AtelierCnn, bytes: pattern(3) });
    assert!(matches!(back, FromEngine::ModelFile { model: ModelChoice::AtelierCnn, bytes } if bytes == pattern(3)));
}

#[test]
fn step_reports_cross_as_plain_floats_non_finite_ones_included() {
    let info = StepInfo {
        epoch: 1,
        step: 2,
        steps_per_epoch: 16,
        global_step: 2,
        total_steps: 32,
        batch_size: 64,
        learning_rate: 1e-3,
        images_per_second: f64::INFINITY,
        elapsed_seconds: 0.5,
        eta_seconds: 7.0,
        workers: 2,
    };
    let message = FromEngine::Steps { run: 1, steps: vec![StepReport { info, loss: f32::NAN, accuracy: 0.25 }] };
    let (back, encoded) = round_trip(&message);
    let FromEngine::Steps { steps, .. } = back else { panic!("{back:?}") };
    assert!(steps[0].loss.is_nan() && steps[0].info.images_per_second == f64::INFINITY);
    assert_eq!((steps[0].accuracy, steps[0].info.total_steps), (0.25, 32));
    // The variant, the run id, the length, seven integers, four f64 and two f32: no text for
    // the non-finite ones.
    assert_eq!(encoded, 4 + 4 + 8 + 7 * 8 + 4 * 8 + 2 * 4);
}

#[test]
fn the_handshake_is_the_first_variant_of_both_enums_and_never_changes_shape() {
    // A page and an engine of different builds must still read each other's Hello: variant 0,
    // one u32, whatever else the enums gain or lose.
    let version = PROTOCOL_VERSION.to_le_bytes();
    assert_eq!(bincode::serialize(&ToEngine::Hello(PROTOCOL_VERSION)).unwrap(), [[0; 4], version].concat());
    assert_eq!(bincode::serialize(&FromEngine::Hello(PROTOCOL_VERSION)).unwrap(), [[0; 4], version].concat());
}

#[test]
fn the_engine_files_are_named_after_the_protocol_they_speak() {
    let name = format!("atelier-engine-p{PROTOCOL_VERSION}");
    assert_eq!(atelier::protocol::ENGINE_LOADER, format!("./{name}_loader.js"));
    let read = |file: &str| std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(read("Cargo.toml").contains(&format!("name = \"{name}\"")), "Cargo.toml names the binary {name}");
    assert!(read("index.html").contains(&format!("data-bin=\"{name}\"")), "index.html builds {name}");
    assert!(read("static/sw.js").contains(&format!("'{name}'")), "the service worker caches {name}");
    assert!(read("atelier.sh").contains(&format!("--bin {name} ")), "atelier.sh lints {name}");
}
