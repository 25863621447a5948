//! Classifying one image, with saliency (filled in next).
