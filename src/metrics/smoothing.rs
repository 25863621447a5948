/// Exponential moving average with bias correction (as TensorBoard's smoothing slider):
/// `weight` 0 returns the input, values near 1 smooth heavily. The first points are not pulled
/// towards zero, because each is divided by the weight mass seen so far.
pub fn smooth(values: &[f32], weight: f32) -> Vec<f32> {
    let weight = weight.clamp(0.0, 0.999);
    let (mut average, mut mass) = (0.0f32, 0.0f32);
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return v;
            }
            average = average * weight + v * (1.0 - weight);
            mass = mass * weight + (1.0 - weight);
            average / mass
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::smooth;

    #[test]
    fn zero_weight_is_the_identity() {
        assert_eq!(smooth(&[3.0, 1.0, 2.0], 0.0), vec![3.0, 1.0, 2.0]);
    }

    #[test]
    fn a_constant_stays_constant_from_the_first_point() {
        for v in smooth(&[2.0; 10], 0.9) {
            assert!((v - 2.0).abs() < 1e-5, "{v}");
        }
    }

    #[test]
    fn noise_is_damped_and_a_trend_followed() {
        let noisy: Vec<f32> = (0..200).map(|i| 2.0 - i as f32 * 0.005 + if i % 2 == 0 { 0.5 } else { -0.5 }).collect();
        let smoothed = smooth(&noisy, 0.9);
        let swing = |v: &[f32]| v.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f32>() / v.len() as f32;
        assert!(swing(&smoothed[20..]) < swing(&noisy[20..]) / 5.0);
        assert!((smoothed[199] - (2.0 - 199.0 * 0.005)).abs() < 0.1, "{}", smoothed[199]);
    }

    #[test]
    fn missing_values_pass_through_without_poisoning_the_average() {
        let out = smooth(&[1.0, f32::NAN, 1.0], 0.5);
        assert!(out[1].is_nan());
        assert!((out[2] - 1.0).abs() < 1e-6);
    }
}
