//! Turning any image into the 28×28 input the models expect (filled in next).
