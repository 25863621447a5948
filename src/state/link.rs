//! A run's settings in the page's address, so that a link sets up the page it was copied from
//! (a teacher's link gives every student the same run). Only the values the page itself offers
//! are taken ([`OFFERED`]): anything else in a link, mistyped or hostile, is ignored with a note
//! saying which parameter and why, and the page keeps its default for it.

use crate::protocol::{Activation, BackendKind, LrSchedule, ModelChoice, OptimizerKind, RunSettings};

/// The choices of the training form, which a link may also make.
pub struct Offered {
    pub hidden: [&'static [usize]; 4],
    pub dropout: [f64; 3],
    pub learning_rate: [f64; 7],
    pub batch: [usize; 5],
    pub epochs: [usize; 6],
    /// `None`: all the training images validation leaves (55,000).
    pub images: [Option<usize>; 4],
}

pub const OFFERED: Offered = Offered {
    hidden: [&[128], &[128, 128], &[256, 128], &[512, 256]],
    dropout: [0.0, 0.2, 0.5],
    learning_rate: [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1],
    batch: [32, 64, 128, 256, 1000],
    epochs: [1, 2, 3, 5, 10, 20],
    images: [Some(1000), Some(5000), Some(10_000), None],
};

/// The learning rate the form switches to with the optimizer (one it offers).
pub fn offered_learning_rate(optimizer: OptimizerKind) -> f64 {
    match optimizer {
        OptimizerKind::Sgd => 0.01,
        OptimizerKind::Adam => 0.001,
    }
}

/// The largest seed a link may give: what a JavaScript number holds exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// The parameters a link sets, in the order they are written.
pub const KEYS: [&str; 13] = [
    "model",
    "hidden",
    "activation",
    "dropout",
    "optimizer",
    "lr",
    "schedule",
    "batch",
    "epochs",
    "images",
    "augment",
    "seed",
    "backend",
];

/// `hidden` as a link writes it: `128-128`.
pub fn hidden_name(hidden: &[usize]) -> String {
    hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("-")
}

/// `images` as a link writes it: a count, or `all`.
pub fn images_name(images: Option<usize>) -> String {
    images.map_or_else(|| "all".into(), |n| n.to_string())
}

/// The settings (and the backend chosen, if any) as `key=value` pairs, [`KEYS`] order.
pub fn to_pairs(s: &RunSettings, backend: Option<BackendKind>) -> Vec<(&'static str, String)> {
    let mut pairs = vec![("model", s.model.name().to_string())];
    if s.model == ModelChoice::Dense {
        pairs.push(("hidden", hidden_name(&s.hidden)));
        pairs.push(("activation", s.activation.name().into()));
        pairs.push(("dropout", s.dropout.to_string()));
    }
    pairs.extend([
        ("optimizer", s.optimizer.name().to_string()),
        ("lr", s.learning_rate.to_string()),
        ("schedule", s.schedule.name().into()),
        ("batch", s.batch_size.to_string()),
        ("epochs", s.epochs.to_string()),
        ("images", images_name(s.train_subset)),
        ("augment", if s.augment { "1" } else { "0" }.into()),
        ("seed", s.seed.to_string()),
    ]);
    if let Some(backend) = backend {
        pairs.push(("backend", backend.name().into()));
    }
    pairs
}

/// What a link's parameters make of `settings`: each known key with an offered value is taken,
/// each other value is left out with a note; keys that are not settings (`debug`, `data`…) are
/// not this module's business.
pub fn apply(mut settings: RunSettings, pairs: &[(String, String)]) -> (RunSettings, Vec<String>) {
    let mut notes = Vec::new();
    let lr_given = pairs.iter().any(|(k, _)| k == "lr");
    for (key, value) in pairs {
        let taken = match key.as_str() {
            "model" => ModelChoice::from_name(value).map(|m| settings.model = m),
            "hidden" => {
                let wanted: Vec<usize> = value.split('-').map_while(|h| h.parse().ok()).collect();
                OFFERED.hidden.iter().find(|h| **h == wanted.as_slice()).map(|h| settings.hidden = h.to_vec())
            }
            "activation" => Activation::from_name(value).map(|a| settings.activation = a),
            "dropout" => offered(&OFFERED.dropout, value).map(|d| settings.dropout = d),
            "optimizer" => OptimizerKind::from_name(value).map(|o| {
                settings.optimizer = o;
                if !lr_given {
                    settings.learning_rate = offered_learning_rate(o);
                }
            }),
            "lr" => offered(&OFFERED.learning_rate, value).map(|lr| settings.learning_rate = lr),
            "schedule" => LrSchedule::from_name(value).map(|s| settings.schedule = s),
            "batch" => offered(&OFFERED.batch, value).map(|b| settings.batch_size = b),
            "epochs" => offered(&OFFERED.epochs, value).map(|e| settings.epochs = e),
            "images" => OFFERED.images.iter().find(|n| images_name(**n) == *value).map(|n| settings.train_subset = *n),
            "augment" => match value.as_str() {
                "1" | "true" => Some(true),
                "0" | "false" => Some(false),
                _ => None,
            }
            .map(|on| settings.augment = on),
            "seed" => value.parse::<u64>().ok().filter(|s| *s <= MAX_SEED).map(|s| settings.seed = s),
            // Read where the engine starts (`?backend=`); here only checked.
            "backend" => matches!(value.as_str(), "cpu" | "webgpu" | "gpu").then_some(()),
            _ => continue,
        };
        if taken.is_none() {
            notes.push(format!("“{key}={}” was ignored: {}.", shown(value), expected(key)));
        }
    }
    (settings, notes)
}

/// A link as a QR code (error correction M: a projector's glare or a phone's angle can cost a
/// few modules). `None` for a link too long for one code.
pub fn qr_code(link: &str) -> Option<qrcode::QrCode> {
    qrcode::QrCode::with_error_correction_level(link, qrcode::EcLevel::M).ok()
}

/// The QR code of `link` as an inline SVG element (no XML prolog), dark on white with its
/// quiet zone.
pub fn qr_svg(link: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qr_code(link)?;
    let picture = code
        .render::<svg::Color>()
        .min_dimensions(320, 320)
        .dark_color(svg::Color("#1f2a44"))
        .light_color(svg::Color("#ffffff"))
        .build();
    picture.find("<svg").map(|start| picture[start..].to_string())
}

/// The first offered value equal to `value` (compared as numbers: `1e-3` is `0.001`).
fn offered<T: Copy + PartialEq + std::str::FromStr>(values: &[T], value: &str) -> Option<T> {
    let wanted: T = value.parse().ok()?;
    values.iter().copied().find(|v| *v == wanted)
}

/// A hostile value stays short and plain in the note (it is shown as text, never markup).
pub(crate) fn shown(value: &str) -> String {
    let short: String = value.chars().filter(|c| !c.is_control()).take(24).collect();
    if value.chars().count() > 24 { format!("{short}…") } else { short }
}

/// What `key` takes, in words.
fn expected(key: &str) -> String {
    let one_of = |values: Vec<String>| format!("expected one of {}", values.join(", "));
    match key {
        "model" => one_of(ModelChoice::ALL.iter().map(|m| m.name().to_string()).collect()),
        "hidden" => one_of(OFFERED.hidden.iter().map(|h| hidden_name(h)).collect()),
        "activation" => one_of(Activation::ALL.iter().map(|a| a.name().to_string()).collect()),
        "dropout" => one_of(OFFERED.dropout.iter().map(f64::to_string).collect()),
        "lr" => one_of(OFFERED.learning_rate.iter().map(f64::to_string).collect()),
        "batch" => one_of(OFFERED.batch.iter().map(usize::to_string).collect()),
        "epochs" => one_of(OFFERED.epochs.iter().map(usize::to_string).collect()),
        "images" => one_of(OFFERED.images.iter().map(|n| images_name(*n)).collect()),
        "seed" => format!("expected a whole number from 0 to {MAX_SEED}"),
        "optimizer" => "expected adam or sgd".into(),
        "schedule" => "expected constant or cosine".into(),
        "augment" => "expected 1 or 0".into(),
        _ => "expected cpu or webgpu".into(),
    }
}
