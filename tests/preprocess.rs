//! Preprocessing on synthetic images whose right answer is known, and on real Fashion-MNIST
//! images, which are already in the target form and so must come through almost unchanged.

mod common;

use atelier::data::{DataFile, IMAGE_SIDE, PIXELS_PER_IMAGE, SplitKind, load_split_gz};
use atelier::preprocess::{MAX_PIXELS, PreprocessError, RgbaImage, preprocess};

const WHITE: [u8; 4] = [255, 255, 255, 255];
const BLACK: [u8; 4] = [0, 0, 0, 255];

/// RGBA bytes of a `width × height` image whose pixel (x, y) is `paint(x, y)`.
fn rgba(width: usize, height: usize, paint: impl Fn(usize, usize) -> [u8; 4]) -> Vec<u8> {
    (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).flat_map(|(x, y)| paint(x, y)).collect()
}

/// A rectangle `[x0, x1) × [y0, y1)` of `ink` on `paper`.
fn rectangle(width: usize, height: usize, [x0, y0, x1, y1]: [usize; 4], ink: [u8; 4], paper: [u8; 4]) -> Vec<u8> {
    rgba(width, height, |x, y| if (x0..x1).contains(&x) && (y0..y1).contains(&y) { ink } else { paper })
}

fn run(width: usize, height: usize, pixels: &[u8]) -> Result<[u8; PIXELS_PER_IMAGE], PreprocessError> {
    preprocess(&RgbaImage::new(width, height, pixels).expect("consistent size"))
}

/// `[left, top, right, bottom]` (inclusive) of the output pixels above `threshold`.
fn bounds(frame: &[u8; PIXELS_PER_IMAGE], threshold: u8) -> [usize; 4] {
    let lit: Vec<(usize, usize)> =
        (0..PIXELS_PER_IMAGE).filter(|&i| frame[i] > threshold).map(|i| (i % IMAGE_SIDE, i / IMAGE_SIDE)).collect();
    assert!(!lit.is_empty(), "nothing lit");
    let xs = lit.iter().map(|p| p.0);
    let ys = lit.iter().map(|p| p.1);
    [xs.clone().min().unwrap(), ys.clone().min().unwrap(), xs.max().unwrap(), ys.max().unwrap()]
}

/// Width and height of `[left, top, right, bottom]`.
fn size([left, top, right, bottom]: [usize; 4]) -> (usize, usize) {
    (right - left + 1, bottom - top + 1)
}

/// Twice the centre (integers): 27 means centred in 0..28.
fn doubled_centre([left, top, right, bottom]: [usize; 4]) -> (usize, usize) {
    (left + right, top + bottom)
}

#[test]
fn dark_on_white_becomes_light_on_black_and_light_on_black_stays() {
    let dark_on_white = run(100, 80, &rectangle(100, 80, [20, 25, 80, 55], BLACK, WHITE)).unwrap();
    let light_on_black = run(100, 80, &rectangle(100, 80, [20, 25, 80, 55], WHITE, BLACK)).unwrap();
    assert_eq!(dark_on_white, light_on_black);
    assert_eq!(dark_on_white[14 * IMAGE_SIDE + 14], 255, "the garment is light");
    assert_eq!(dark_on_white[0], 0, "the background is black");
    // 60 × 30 is 2:1, so 28 × 14, centred.
    assert_eq!(size(bounds(&dark_on_white, 0)), (28, 14));
    assert_eq!(bounds(&dark_on_white, 0), [0, 7, 27, 20]);
}

#[test]
fn a_small_blob_in_a_corner_is_trimmed_centred_and_fills_the_frame() {
    // 10 × 20 of ink at the top left of a 500 × 400 canvas.
    let frame = run(500, 400, &rectangle(500, 400, [6, 4, 16, 24], BLACK, WHITE)).unwrap();
    let lit = bounds(&frame, 0);
    assert_eq!(size(lit), (14, 28), "{lit:?}");
    assert_eq!(doubled_centre(lit), (27, 27), "{lit:?}");
}

#[test]
fn content_is_centred_on_its_bounding_box_in_both_directions() {
    for (x0, y0) in [(2, 2), (150, 3), (3, 120), (120, 110)] {
        let pixels = rectangle(200, 160, [x0, y0, x0 + 40, y0 + 30], BLACK, WHITE);
        let lit = bounds(&run(200, 160, &pixels).unwrap(), 0);
        assert_eq!(size(lit), (28, 21), "at ({x0}, {y0}): {lit:?}");
        let (cx, cy) = doubled_centre(lit);
        assert_eq!(cx, 27);
        assert!(cy.abs_diff(27) <= 1, "at ({x0}, {y0}): {lit:?}");
    }
}

#[test]
fn transparent_background_counts_as_white() {
    // Transparent *black* pixels: read without compositing, the whole image would be black.
    let clear = [0, 0, 0, 0];
    let frame = run(60, 60, &rectangle(60, 60, [10, 20, 50, 40], BLACK, clear)).unwrap();
    assert_eq!(size(bounds(&frame, 0)), (28, 14));
    assert_eq!(frame[14 * IMAGE_SIDE + 14], 255);
    assert_eq!(frame[0], 0);
    // A white cut-out on a transparent background is white on white: nothing to see.
    assert_eq!(run(60, 60, &rectangle(60, 60, [10, 20, 50, 40], WHITE, clear)), Err(PreprocessError::Empty));
}

#[test]
fn blank_uniform_faint_and_degenerate_images_are_empty() {
    for paper in [WHITE, BLACK, [128, 90, 200, 255], [0, 0, 0, 0]] {
        assert_eq!(run(40, 30, &rgba(40, 30, |_, _| paper)), Err(PreprocessError::Empty), "{paper:?}");
    }
    // JPEG-like noise of a few levels on white is not content.
    let noise = rgba(64, 64, |x, y| {
        [255 - ((x * 7 + y * 13) % 9) as u8; 3].into_iter().chain([255]).collect::<Vec<_>>().try_into().unwrap()
    });
    assert_eq!(run(64, 64, &noise), Err(PreprocessError::Empty));
    assert_eq!(run(0, 0, &[]), Err(PreprocessError::Empty));
    assert_eq!(run(0, 7, &[]), Err(PreprocessError::Empty));
    assert_eq!(run(1, 1, &BLACK), Err(PreprocessError::Empty));
    assert!(PreprocessError::Empty.to_string().contains("blank"));
}

#[test]
fn wrong_sizes_are_refused_with_a_message() {
    let error = RgbaImage::new(3, 3, &[0; 35]).unwrap_err();
    assert_eq!(error, PreprocessError::SizeMismatch { width: 3, height: 3, bytes: 35 });
    assert!(error.to_string().contains("3×3"), "{error}");
    assert!(RgbaImage::new(usize::MAX, 3, &[]).is_err(), "overflowing sizes are refused, not wrapped");
    let width = MAX_PIXELS + 1;
    let huge = vec![255; width * 4];
    assert_eq!(run(width, 1, &huge), Err(PreprocessError::TooLarge { width, height: 1 }));
}

#[test]
fn extreme_aspect_ratios_become_a_centred_line() {
    // A 1 × 1000 strip, ink on its middle 600 pixels; and the same turned sideways.
    let tall = rgba(1, 1000, |_, y| if (200..800).contains(&y) { BLACK } else { WHITE });
    let lit = bounds(&run(1, 1000, &tall).unwrap(), 0);
    assert_eq!(size(lit), (1, 28), "{lit:?}");
    assert!(lit[0].abs_diff(13) <= 1, "{lit:?}");
    let wide = rgba(1000, 1, |x, _| if (200..800).contains(&x) { BLACK } else { WHITE });
    let lit = bounds(&run(1000, 1, &wide).unwrap(), 0);
    assert_eq!(size(lit), (28, 1), "{lit:?}");
}

#[test]
fn a_tiny_drawing_is_scaled_up_smoothly() {
    // A 3 × 3 plus sign in a 7 × 7 canvas: it fills the frame as a smooth ramp, not in blocks.
    let plus =
        rgba(
            7,
            7,
            |x, y| {
                if (x == 3 && (2..5).contains(&y)) || (y == 3 && (2..5).contains(&x)) { BLACK } else { WHITE }
            },
        );
    let frame = run(7, 7, &plus).unwrap();
    assert_eq!(size(bounds(&frame, 0)), (28, 28));
    assert_eq!(frame[14 * IMAGE_SIDE + 14], 255, "the centre is ink");
    assert!(frame[2 * IMAGE_SIDE + 2] < 64, "the corners are not: {}", frame[2 * IMAGE_SIDE + 2]);
    let mut levels = frame.to_vec();
    levels.sort_unstable();
    levels.dedup();
    assert!(levels.len() > 8, "only {} grey levels: {levels:?}", levels.len());
}

#[test]
fn a_boot_on_a_grey_table_comes_out_clean_on_black() {
    // Table: light grey, darker to the right, with pixel noise. Boot: a dark textured L, a
    // shaft (x 60–140, y 30–170) and a foot (x 60–260, y 120–170), so its box holds table too.
    let (width, height) = (320, 200);
    let table = |x: usize, y: usize| 225.0 - 20.0 * x as f32 / width as f32 + ((x * 31 + y * 17) % 11) as f32 - 5.0;
    let boot = |x: usize, y: usize| {
        (60..140).contains(&x) && (30..170).contains(&y) || (60..260).contains(&x) && (120..170).contains(&y)
    };
    let pixels = rgba(width, height, |x, y| {
        let grey = if boot(x, y) { 60.0 + ((x / 8 + y / 8) % 3) as f32 * 15.0 } else { table(x, y) };
        let grey = grey.clamp(0.0, 255.0) as u8;
        [grey, grey, grey, 255]
    });
    let frame = run(width, height, &pixels).unwrap();
    // 200 × 140 becomes 28 × 20, rows 4 to 23.
    assert_eq!(bounds(&frame, 40), [0, 4, 27, 23]);
    let at = |x: usize, y: usize| frame[y * IMAGE_SIDE + x];
    // The table inside the box, above the foot and right of the shaft (source x 147–253,
    // y 37–113), where a background left at its median level would show as grey haze.
    let table: Vec<f32> = (5..15).flat_map(|y| (13..27).map(move |x| at(x, y) as f32)).collect();
    let haze = table.iter().sum::<f32>() / table.len() as f32;
    assert!(haze < 2.0, "the table should be black, mean {haze}");
    assert_eq!(frame.iter().max(), Some(&255));
    let boot_pixels: Vec<u8> = (6..20)
        .flat_map(|y| (1..10).map(move |x| at(x, y)))
        .chain((18..22).flat_map(|y| (1..27).map(move |x| at(x, y))))
        .collect();
    assert!(boot_pixels.iter().all(|&v| v > 150), "the boot is light: {boot_pixels:?}");
}

#[test]
fn real_test_images_come_through_almost_unchanged() {
    let Some(dir) = common::data_dir("skipping") else {
        return;
    };
    let read = |is_labels| std::fs::read(dir.join(DataFile { split: SplitKind::Test, is_labels }.file_name())).unwrap();
    let test = load_split_gz(SplitKind::Test, &read(false), &read(true)).expect("real test set");
    let (mut total_difference, mut empty) = (0u64, 0);
    for index in 0..test.len() {
        let image = test.image(index);
        let pixels: Vec<u8> = image.iter().flat_map(|&v| [v, v, v, 255]).collect();
        match run(IMAGE_SIDE, IMAGE_SIDE, &pixels) {
            Ok(frame) => total_difference += frame.iter().zip(image).map(|(&a, &b)| a.abs_diff(b) as u64).sum::<u64>(),
            Err(_) => empty += 1,
        }
    }
    let mean = total_difference as f64 / ((test.len() - empty) * PIXELS_PER_IMAGE) as f64;
    println!("real test images through preprocess: mean absolute pixel difference {mean:.2} of 255, {empty} empty");
    assert_eq!(empty, 0);
    assert!(mean < 5.0, "mean absolute difference {mean:.2}");
}
