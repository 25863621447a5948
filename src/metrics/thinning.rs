//! A long curve thinned to what a chart can show, per pixel column. A run's charts are redrawn
//! as its steps arrive (ten times a second); drawn whole, each redraw cost more the longer the
//! run (a 10-epoch Baseline CNN run has 8,600 steps per curve, on a chart ~600 pixels wide), on
//! the page's main thread, which shares the cores with the training workers.

type Point = (f64, f64);

/// What of each pixel column's points is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Its lowest and highest point: a hairline through all of them fills exactly that span, so
    /// the band of per-batch noise looks the same.
    Extremes,
    /// One point at its mean: a thick (smoothed) curve stays a curve, not a zigzag band.
    Mean,
}

/// A pixel column being gathered: its index, its lowest and highest point so far, and the sum
/// and count of its points.
type Column = (usize, Point, Point, Point, usize);

/// `points` (x ascending, non-finite values dropped) thinned to what `keep` says of each of
/// `columns` columns spanning `x_min..x_max`, in x order; unchanged when already that short.
pub fn thin_to_columns(points: &[Point], x_min: f64, x_max: f64, columns: usize, keep: Keep) -> Vec<Point> {
    let finite = points.iter().copied().filter(|p| p.1.is_finite());
    if points.len() <= 2 * columns.max(1) {
        return finite.collect();
    }
    let scale = columns as f64 / (x_max - x_min).max(f64::MIN_POSITIVE);
    let column = |x: f64| ((x - x_min) * scale).max(0.0) as usize;
    let mut thinned = Vec::with_capacity(2 * columns + 2);
    let mut gathering: Option<Column> = None;
    let flush = |(_, low, high, sum, count): Column, into: &mut Vec<Point>| match keep {
        Keep::Extremes => {
            let (first, second) = if low.0 <= high.0 { (low, high) } else { (high, low) };
            into.push(first);
            if second != first {
                into.push(second);
            }
        }
        Keep::Mean => into.push((sum.0 / count as f64, sum.1 / count as f64)),
    };
    for point in finite {
        match &mut gathering {
            Some((at, low, high, sum, count)) if *at == column(point.0) => {
                if point.1 < low.1 {
                    *low = point;
                }
                if point.1 > high.1 {
                    *high = point;
                }
                *sum = (sum.0 + point.0, sum.1 + point.1);
                *count += 1;
            }
            _ => {
                if let Some(done) = gathering.take() {
                    flush(done, &mut thinned);
                }
                gathering = Some((column(point.0), point, point, point, 1));
            }
        }
    }
    if let Some(done) = gathering {
        flush(done, &mut thinned);
    }
    thinned
}

#[cfg(test)]
mod tests {
    use super::{Keep, thin_to_columns};

    /// A noisy curve of `n` steps at x = 1..=n.
    fn noisy(n: usize) -> Vec<(f64, f64)> {
        (1..=n).map(|i| (i as f64, 1.0 / i as f64 + ((i * 7919) % 13) as f64 * 0.01)).collect()
    }

    #[test]
    fn a_short_curve_is_kept_whole_without_its_gaps() {
        let mut points = noisy(40);
        points[5].1 = f64::NAN;
        let thinned = thin_to_columns(&points, 0.0, 40.0, 300, Keep::Extremes);
        assert_eq!(thinned.len(), 39);
        assert!(thinned.iter().all(|p| p.1.is_finite()));
    }

    #[test]
    fn a_long_curve_keeps_each_columns_extremes_in_order() {
        let points = noisy(8_600);
        let columns = 500;
        let thinned = thin_to_columns(&points, 0.0, 8_600.0, columns, Keep::Extremes);
        assert!(thinned.len() <= 2 * columns + 2, "{} points", thinned.len());
        assert!(thinned.windows(2).all(|w| w[0].0 < w[1].0), "x ascending");
        // Every column's lowest and highest value survive (the band looks the same).
        let scale = columns as f64 / 8_600.0;
        for c in 0..columns {
            let inside = |p: &&(f64, f64)| ((p.0 * scale) as usize) == c;
            let extremes = |set: &[(f64, f64)]| {
                let values: Vec<f64> = set.iter().filter(inside).map(|p| p.1).collect();
                (
                    values.iter().copied().fold(f64::INFINITY, f64::min),
                    values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )
            };
            assert_eq!(extremes(&thinned), extremes(&points), "column {c}");
        }
    }

    #[test]
    fn a_thick_curve_keeps_one_mean_point_per_column() {
        let points: Vec<(f64, f64)> = (0..1_000).map(|i| (i as f64, (i % 2) as f64)).collect();
        let thinned = thin_to_columns(&points, 0.0, 1_000.0, 100, Keep::Mean);
        assert_eq!(thinned.len(), 100);
        // Ten points a column, alternating 0 and 1: the mean, not a zigzag between them.
        assert!(thinned.iter().all(|p| (p.1 - 0.5).abs() < 1e-12), "{:?}", &thinned[..3]);
        assert_eq!(thinned[0].0, 4.5);
    }
}
