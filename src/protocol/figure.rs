//! A float that survives JSON whatever its value. `serde_json` writes NaN and ±∞ as `null` and
//! then cannot read `null` back as a number, so a diverged run's figures (or an empty set's NaN)
//! made its whole saved record unreadable. In human-readable formats (JSON) non-finite values
//! are written as "NaN", "inf" and "-inf", and `null` (what older records hold) reads as NaN;
//! binary formats (the worker codec) keep plain floats.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// f32 or f64.
pub trait Float: Copy + Serialize + DeserializeOwned {
    fn to_f64(self) -> f64;
    fn from_f64(value: f64) -> Self;
}

impl Float for f32 {
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64(value: f64) -> Self {
        value as f32
    }
}

impl Float for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(value: f64) -> Self {
        value
    }
}

pub fn serialize<S: Serializer, T: Float>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    let v = value.to_f64();
    match serializer.is_human_readable() && !v.is_finite() {
        true if v.is_nan() => serializer.serialize_str("NaN"),
        true if v > 0.0 => serializer.serialize_str("inf"),
        true => serializer.serialize_str("-inf"),
        false => value.serialize(serializer),
    }
}

pub fn deserialize<'de, D: Deserializer<'de>, T: Float>(deserializer: D) -> Result<T, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Number(f64),
        Text(String),
    }
    if !deserializer.is_human_readable() {
        return T::deserialize(deserializer);
    }
    let value = match Option::<Written>::deserialize(deserializer)? {
        None => f64::NAN,
        Some(Written::Number(value)) => value,
        Some(Written::Text(text)) => match text.as_str() {
            "NaN" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => return Err(D::Error::custom(format!("{other:?} is not a number"))),
        },
    };
    Ok(T::from_f64(value))
}
