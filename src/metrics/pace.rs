//! A run's pace as a learner should read it: images per second and time left in wall-clock
//! terms. A training step returns before its work is done (WebGPU only queues it), so the time
//! a step call takes overstates throughput, on WebGPU by far; a step counts as done when its
//! loss comes back. Time paused or evaluating is left out.

use std::collections::VecDeque;

/// Throughput is measured over about this long: per-step intervals are uneven (some include a
/// yield to the event loop), and an average of per-interval rates would overstate it.
const WINDOW_SECONDS: f64 = 2.0;

/// Wall-clock bookkeeping for one stepping session (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    /// Seconds spent stepping so far.
    active: f64,
    /// The clock reading up to which `active` is counted.
    mark: f64,
    /// (global step, `active`) when steps were first known done, and recently.
    first: Option<(usize, f64)>,
    recent: VecDeque<(usize, f64)>,
    /// The largest batch seen (an epoch's last batch may be smaller).
    batch: usize,
}

impl Pace {
    pub fn new(now: f64) -> Self {
        Self { active: 0.0, mark: now, first: None, recent: VecDeque::new(), batch: 0 }
    }

    /// Counts the time since the last `tick` or `skip` as stepping.
    pub fn tick(&mut self, now: f64) {
        self.active += (now - self.mark).max(0.0);
        self.mark = now;
    }

    /// Leaves the time since the last `tick` or `skip` out (a pause, an evaluation).
    pub fn skip(&mut self, now: f64) {
        self.mark = now;
    }

    /// Steps up to `global_step` (`batch_size` images each) are known done at `now`. Returns
    /// the images per second over the last couple of seconds and the seconds left until
    /// `total_steps` at the average pace so far; `None` on the first report (nothing to measure
    /// against) and for a step already reported.
    pub fn done(&mut self, now: f64, global_step: usize, batch_size: usize, total_steps: usize) -> Option<(f64, f64)> {
        self.tick(now);
        self.batch = self.batch.max(batch_size);
        if self.recent.back().is_some_and(|&(step, _)| step >= global_step) {
            return None;
        }
        let (first_step, first_time) = *self.first.get_or_insert((global_step, self.active));
        self.recent.push_back((global_step, self.active));
        // The base is the latest report at least a window old (or the oldest one there is).
        while self.recent.len() > 2 && self.recent[1].1 <= self.active - WINDOW_SECONDS {
            self.recent.pop_front();
        }
        let (base_step, base_time) = self.recent[0];
        let seconds = self.active - base_time;
        if global_step == first_step || seconds <= 0.0 {
            return None;
        }
        let rate = ((global_step - base_step) * self.batch) as f64 / seconds;
        let per_step = (self.active - first_time) / (global_step - first_step) as f64;
        Some((rate, total_steps.saturating_sub(global_step) as f64 * per_step))
    }
}

#[cfg(test)]
mod tests {
    use super::Pace;

    #[test]
    fn the_first_report_has_nothing_to_measure_against() {
        let mut pace = Pace::new(0.0);
        assert_eq!(pace.done(5.0, 1, 64, 100), None);
    }

    #[test]
    fn rate_counts_images_over_wall_time_between_reports() {
        let mut pace = Pace::new(0.0);
        pace.done(1.0, 1, 64, 100);
        // 10 steps of 64 done in the next 2 s, however long each step call took.
        let (rate, left) = pace.done(3.0, 11, 64, 100).unwrap();
        assert!((rate - 320.0).abs() < 1e-9, "{rate}");
        assert!((left - 89.0 * 0.2).abs() < 1e-9, "{left}");
    }

    #[test]
    fn pauses_and_evaluations_are_left_out() {
        let mut pace = Pace::new(0.0);
        pace.done(1.0, 1, 64, 100);
        pace.tick(2.0);
        pace.skip(30.0); // paused from 2 s to 30 s
        let (rate, _) = pace.done(31.0, 11, 64, 100).unwrap();
        assert!((rate - 320.0).abs() < 1e-9, "{rate}");
    }

    #[test]
    fn a_short_last_batch_does_not_lower_the_batch_size() {
        let mut pace = Pace::new(0.0);
        pace.done(1.0, 1, 64, 100);
        let (rate, _) = pace.done(2.0, 3, 16, 100).unwrap();
        assert!((rate - 128.0).abs() < 1e-9, "{rate}");
    }

    #[test]
    fn a_repeated_report_keeps_the_previous_mark() {
        let mut pace = Pace::new(0.0);
        pace.done(1.0, 1, 64, 100);
        assert_eq!(pace.done(1.0, 1, 64, 100), None);
        let (rate, left) = pace.done(2.0, 2, 64, 100).unwrap();
        assert!((rate - 64.0).abs() < 1e-9 && (left - 98.0).abs() < 1e-9, "{rate} {left}");
    }

    #[test]
    fn uneven_intervals_give_the_rate_over_the_window() {
        let mut pace = Pace::new(0.0);
        pace.done(0.0, 0, 64, 1000);
        // One step every 3 ms, then one every 13 ms, alternating: 2 steps per 16 ms.
        let (mut t, mut rate) = (0.0, 0.0);
        for step in 1..=400 {
            t += if step % 2 == 1 { 0.003 } else { 0.013 };
            if let Some((r, _)) = pace.done(t, step, 64, 1000) {
                rate = r;
            }
        }
        // Within a step of the window edge; a mean of per-step rates would say 13,128.
        assert!((rate - 2.0 * 64.0 / 0.016).abs() < 0.01 * 8000.0, "{rate}");
    }

    #[test]
    fn time_left_uses_the_average_since_the_first_report() {
        let mut pace = Pace::new(0.0);
        pace.done(10.0, 1, 64, 21); // the first step includes compiling the kernels
        pace.done(11.0, 11, 64, 21);
        let (_, left) = pace.done(13.0, 16, 64, 21).unwrap();
        // 15 steps in 3 s since the first report: 0.2 s each, 5 left.
        assert!((left - 1.0).abs() < 1e-9, "{left}");
    }
}
