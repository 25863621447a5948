//! A tiny seeded RNG for shuffling and augmentation.
//!
//! Hand-written (SplitMix64) rather than `rand`: the same seed must give the same batches on every
//! platform and every crate version, natively and in wasm32, and the quality needs are modest.
//! Weight initialisation and dropout use Burn's own device RNG, seeded separately.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator at `state`: a seed, or a [`SplitMix64::state`] saved in a checkpoint.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Everything the generator remembers: `SplitMix64::new(rng.state())` continues the stream
    /// exactly where `rng` is, which is how a checkpoint restores shuffling and augmentation.
    pub fn state(&self) -> u64 {
        self.state
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (Lemire's multiply-shift; the bias is below 2⁻³² for our sizes).
    pub fn below(&mut self, bound: usize) -> usize {
        debug_assert!(bound > 0);
        ((self.next_u64() >> 32).wrapping_mul(bound as u64) >> 32) as usize
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// An independent stream derived from this one, so that e.g. augmentation draws don't shift
    /// the shuffle order when augmentation is switched on or off.
    pub fn fork(&mut self) -> Self {
        Self::new(self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (SplitMix64::new(7), SplitMix64::new(7));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut items: Vec<u32> = (0..1000).collect();
        SplitMix64::new(1).shuffle(&mut items);
        assert_ne!(items, (0..1000).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn state_restores_the_stream() {
        let mut rng = SplitMix64::new(11);
        rng.next_u64();
        let mut restored = SplitMix64::new(rng.state());
        assert!((0..100).all(|_| rng.next_u64() == restored.next_u64()));
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix64::new(3);
        assert!((0..10_000).all(|_| rng.below(5) < 5));
    }
}
