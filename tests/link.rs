//! Links that set up a page (`state::link`): every setting a link can carry comes back the same,
//! and a bad or hostile value is ignored with a note naming it, the default kept.

use atelier::protocol::{Activation, BackendKind, LrSchedule, ModelChoice, OptimizerKind, RunSettings};
use atelier::state::link::{OFFERED, apply, to_pairs};

fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
    query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn round_trip(settings: &RunSettings) -> (RunSettings, Vec<String>) {
    let written: Vec<(String, String)> =
        to_pairs(settings, Some(BackendKind::Cpu)).into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    apply(RunSettings::default(), &written)
}

#[test]
fn every_offered_setting_survives_a_link() {
    let mut settings = RunSettings {
        model: ModelChoice::Dense,
        activation: Activation::Sigmoid,
        optimizer: OptimizerKind::Sgd,
        schedule: LrSchedule::Constant,
        augment: true,
        seed: 9_007_199_254_740_991,
        ..RunSettings::default()
    };
    for hidden in OFFERED.hidden {
        for dropout in OFFERED.dropout {
            for learning_rate in OFFERED.learning_rate {
                settings.hidden = hidden.to_vec();
                settings.dropout = dropout;
                settings.learning_rate = learning_rate;
                assert_eq!(round_trip(&settings), (settings.clone(), vec![]));
            }
        }
    }
    for (batch, epochs) in OFFERED.batch.iter().zip(OFFERED.epochs) {
        for images in OFFERED.images {
            settings.batch_size = *batch;
            settings.epochs = epochs;
            settings.train_subset = images;
            assert_eq!(round_trip(&settings), (settings.clone(), vec![]));
        }
    }
    for model in ModelChoice::ALL {
        let cnn = RunSettings { model, ..RunSettings::default() };
        assert_eq!(round_trip(&cnn).0, cnn);
    }
}

#[test]
fn a_link_sets_what_it_names_and_leaves_the_rest() {
    let (settings, notes) = apply(RunSettings::default(), &pairs(&[("epochs", "20"), ("debug", "1"), ("data", "x/")]));
    assert!(notes.is_empty(), "keys that are not settings are not noted: {notes:?}");
    assert_eq!(settings, RunSettings { epochs: 20, ..RunSettings::default() });
    // An optimizer alone brings its own learning rate; with `lr` the link's rate wins.
    let (sgd, _) = apply(RunSettings::default(), &pairs(&[("optimizer", "sgd")]));
    assert_eq!(sgd.learning_rate, 0.01);
    let (sgd, _) = apply(RunSettings::default(), &pairs(&[("lr", "0.1"), ("optimizer", "sgd")]));
    assert_eq!(sgd.learning_rate, 0.1);
    let (scientific, notes) = apply(RunSettings::default(), &pairs(&[("lr", "3e-4")]));
    assert_eq!((scientific.learning_rate, notes.len()), (0.0003, 0));
}

#[test]
fn bad_and_hostile_values_are_ignored_with_a_note_each() {
    let hostile = pairs(&[
        ("model", "<script>alert(1)</script>"),
        ("hidden", "99999999-99999999"),
        ("activation", "relu;drop"),
        ("dropout", "0.99"),
        ("optimizer", "lbfgs"),
        ("lr", "1e9"),
        ("schedule", "NaN"),
        ("batch", "-5"),
        ("epochs", "100000"),
        ("images", "60000"),
        ("augment", "yes"),
        ("seed", "18446744073709551615"),
        ("backend", "tpu"),
        ("epochs", &"9".repeat(10_000)),
    ]);
    let (settings, notes) = apply(RunSettings::default(), &hostile);
    assert_eq!(settings, RunSettings::default(), "nothing taken");
    assert_eq!(notes.len(), hostile.len(), "{notes:#?}");
    assert_eq!(
        notes[0],
        "“model=<script>alert(1)</script…” was ignored: expected one of dense, baseline-cnn, atelier-cnn."
    );
    assert!(notes[11].contains("a whole number from 0 to 9007199254740991"), "{}", notes[11]);
    assert!(notes.iter().all(|n| n.chars().count() < 200), "a long value is cut short in its note");
}

#[test]
fn a_link_as_a_qr_code_reads_back_as_the_same_link() {
    let settings = RunSettings { model: ModelChoice::Dense, seed: 7, ..RunSettings::default() };
    let query: Vec<String> =
        to_pairs(&settings, Some(BackendKind::Cpu)).iter().map(|(k, v)| format!("{k}={v}")).collect();
    let link = format!("http://192.168.1.20:8080/?{}", query.join("&"));
    let code = atelier::state::link::qr_code(&link).expect("fits one code");
    // Drawn 4 pixels a module with a quiet zone of 4 modules, then read as a camera would.
    let (width, scale, quiet) = (code.width(), 4, 4);
    let colors = code.to_colors();
    let side = (width + 2 * quiet) * scale;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (mx, my) = ((x / scale).wrapping_sub(quiet), (y / scale).wrapping_sub(quiet));
        let dark = mx < width && my < width && colors[my * width + mx] == qrcode::Color::Dark;
        if dark { 0 } else { 255 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().expect("decodes");
    assert_eq!(content, link);
    let svg = atelier::state::link::qr_svg(&link).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("#1f2a44"), "{}", &svg[..80]);
}
