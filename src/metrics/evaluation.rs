//! What a set of predictions says about a model: the confusion matrix, accuracy per class, and
//! the mistakes worth looking at. Computed on the page from the engine's probabilities.

use crate::data::NUM_CLASSES;

/// Class probabilities of one image.
pub type Probabilities = [f32; NUM_CLASSES];

/// The most probable class (the first one on a tie, as `argmax` does).
pub fn predicted_class(probabilities: &Probabilities) -> u8 {
    let mut best = 0;
    for (class, &p) in probabilities.iter().enumerate() {
        if p > probabilities[best] {
            best = class;
        }
    }
    best as u8
}

/// `counts[true][predicted]`: how often images of one class were given each class.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfusionMatrix {
    pub counts: [[u32; NUM_CLASSES]; NUM_CLASSES],
}

impl ConfusionMatrix {
    /// Pairs `labels[i]` with `predictions[i]`; labels outside 0–9 are skipped.
    pub fn new(labels: &[u8], predictions: &[u8]) -> Self {
        let mut matrix = Self::default();
        for (&truth, &predicted) in labels.iter().zip(predictions) {
            if (truth as usize) < NUM_CLASSES && (predicted as usize) < NUM_CLASSES {
                matrix.counts[truth as usize][predicted as usize] += 1;
            }
        }
        matrix
    }

    pub fn count(&self, truth: u8, predicted: u8) -> u32 {
        self.counts[truth as usize][predicted as usize]
    }

    /// Images counted.
    pub fn total(&self) -> u32 {
        self.counts.iter().flatten().sum()
    }

    /// Images of class `truth`.
    pub fn row_total(&self, truth: u8) -> u32 {
        self.counts[truth as usize].iter().sum()
    }

    pub fn correct(&self) -> u32 {
        (0..NUM_CLASSES).map(|c| self.counts[c][c]).sum()
    }

    /// Fraction of all images classified correctly; `None` when there are none.
    pub fn accuracy(&self) -> Option<f32> {
        let total = self.total();
        (total > 0).then(|| self.correct() as f32 / total as f32)
    }

    /// Recall of each class: the fraction of its images given the right class.
    pub fn class_accuracy(&self) -> [Option<f32>; NUM_CLASSES] {
        std::array::from_fn(|c| {
            let row = self.row_total(c as u8);
            (row > 0).then(|| self.counts[c][c] as f32 / row as f32)
        })
    }

    /// The off-diagonal cell with the most images: the model's favourite confusion.
    pub fn worst_confusion(&self) -> Option<(u8, u8, u32)> {
        (0..NUM_CLASSES as u8)
            .flat_map(|t| (0..NUM_CLASSES as u8).map(move |p| (t, p)))
            .filter(|(t, p)| t != p)
            .map(|(t, p)| (t, p, self.count(t, p)))
            .filter(|&(_, _, n)| n > 0)
            .max_by_key(|&(t, p, n)| (n, std::cmp::Reverse((t, p))))
    }
}

/// A classified set: the true labels and each image's probabilities, with the derived views.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifiedSet {
    pub labels: Vec<u8>,
    pub probabilities: Vec<Probabilities>,
    pub predictions: Vec<u8>,
    pub confusion: ConfusionMatrix,
}

impl ClassifiedSet {
    /// `probabilities` holds 10 values per image, row `i` for `labels[i]`; extra labels or a
    /// ragged tail are ignored, so a short evaluation still gives a consistent view.
    pub fn new(labels: &[u8], probabilities: &[f32]) -> Self {
        let probabilities: Vec<Probabilities> = probabilities
            .chunks_exact(NUM_CLASSES)
            .take(labels.len())
            .map(|row| row.try_into().expect("chunk of 10"))
            .collect();
        let labels = labels[..probabilities.len()].to_vec();
        let predictions: Vec<u8> = probabilities.iter().map(predicted_class).collect();
        let confusion = ConfusionMatrix::new(&labels, &predictions);
        Self { labels, probabilities, predictions, confusion }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Images of class `truth` that were predicted as `predicted`, in set order.
    pub fn images_of(&self, truth: u8, predicted: u8) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.labels[i] == truth && self.predictions[i] == predicted).collect()
    }

    /// Wrong answers, the most confident first (ties in set order); at most `limit`.
    pub fn confident_mistakes(&self, limit: usize) -> Vec<usize> {
        let mut wrong: Vec<usize> = (0..self.len()).filter(|&i| self.labels[i] != self.predictions[i]).collect();
        let confidence = |i: usize| self.probabilities[i][self.predictions[i] as usize];
        wrong.sort_by(|&a, &b| confidence(b).total_cmp(&confidence(a)).then(a.cmp(&b)));
        wrong.truncate(limit);
        wrong
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot(class: usize, confidence: f32) -> Vec<f32> {
        let rest = (1.0 - confidence) / 9.0;
        (0..10).map(|c| if c == class { confidence } else { rest }).collect()
    }

    fn set(rows: &[(u8, usize, f32)]) -> ClassifiedSet {
        let labels: Vec<u8> = rows.iter().map(|r| r.0).collect();
        let probabilities: Vec<f32> = rows.iter().flat_map(|&(_, p, c)| one_hot(p, c)).collect();
        ClassifiedSet::new(&labels, &probabilities)
    }

    #[test]
    fn argmax_takes_the_first_of_equals() {
        assert_eq!(predicted_class(&[0.1, 0.4, 0.4, 0.1, 0., 0., 0., 0., 0., 0.]), 1);
        assert_eq!(predicted_class(&[0.0, 0., 0., 0., 0., 0., 0., 0., 0., 0.9]), 9);
    }

    #[test]
    fn matrix_counts_pairs_and_rows_give_class_accuracy() {
        let set = set(&[(0, 0, 0.9), (0, 6, 0.8), (0, 0, 0.7), (6, 0, 0.6), (6, 6, 0.9), (9, 9, 0.99)]);
        let m = &set.confusion;
        assert_eq!(m.total(), 6);
        assert_eq!(m.count(0, 0), 2);
        assert_eq!(m.count(0, 6), 1);
        assert_eq!(m.count(6, 0), 1);
        assert_eq!(m.correct(), 4);
        assert_eq!(m.accuracy(), Some(4.0 / 6.0));
        let per_class = m.class_accuracy();
        assert_eq!(per_class[0], Some(2.0 / 3.0));
        assert_eq!(per_class[6], Some(0.5));
        assert_eq!(per_class[9], Some(1.0));
        assert_eq!(per_class[3], None, "a class with no images has no accuracy");
        assert_eq!(m.worst_confusion(), Some((0, 6, 1)));
    }

    #[test]
    fn cells_list_exactly_their_images() {
        let set = set(&[(3, 4, 0.6), (3, 3, 0.9), (3, 4, 0.7), (4, 3, 0.5)]);
        assert_eq!(set.images_of(3, 4), vec![0, 2]);
        assert_eq!(set.images_of(4, 3), vec![3]);
        assert_eq!(set.images_of(4, 4), Vec::<usize>::new());
        let sum: usize =
            (0..10).flat_map(|t| (0..10).map(move |p| (t, p))).map(|(t, p)| set.images_of(t, p).len()).sum();
        assert_eq!(sum, set.len());
    }

    #[test]
    fn confident_mistakes_come_first_and_correct_answers_never() {
        let set = set(&[(1, 2, 0.55), (1, 1, 0.99), (5, 7, 0.95), (8, 0, 0.75), (2, 2, 0.3)]);
        assert_eq!(set.confident_mistakes(10), vec![2, 3, 0]);
        assert_eq!(set.confident_mistakes(2), vec![2, 3]);
    }

    #[test]
    fn ragged_input_is_cut_to_whole_rows() {
        let mut probabilities = one_hot(1, 0.9);
        probabilities.extend([0.5; 4]);
        let set = ClassifiedSet::new(&[1, 2, 3], &probabilities);
        assert_eq!(set.len(), 1);
        assert_eq!(set.confusion.total(), 1);
    }
}
