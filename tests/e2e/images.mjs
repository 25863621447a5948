// Test images for the upload tests: real Fashion-MNIST test images as PNG files, written here
// from the IDX data with node's own zlib (no image library needed for 8-bit greyscale PNGs).
import { readFile } from 'node:fs/promises';
import { gunzipSync, deflateSync, crc32 } from 'node:zlib';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

const DATA = process.env.ATELIER_DATA_DIR ?? join(ROOT, 'static', 'data');

/** The first `count` test images (28×28 bytes each) and their labels. */
export async function testImages(count) {
  const images = gunzipSync(await readFile(join(DATA, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(await readFile(join(DATA, 't10k-labels-idx1-ubyte.gz')));
  return Array.from({ length: count }, (_, i) => ({
    pixels: images.subarray(16 + i * 784, 16 + (i + 1) * 784),
    label: labels[8 + i],
  }));
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit greyscale PNG; `row(y)` gives each row's `width` bytes. */
export function greyPng(width, height, row) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    row(y).copy(raw, y * (width + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 28×28 test image as a PNG, light garment on black, as in the dataset. */
export const imagePng = (pixels) => greyPng(28, 28, (y) => Buffer.from(pixels.subarray(y * 28, (y + 1) * 28)));

/**
 * A photo-like picture of a test image: the garment dark on a light, uneven background (a
 * table lit from one side, with sensor noise), 12× larger, off-centre in a 640×480 frame.
 */
export function photoPng(pixels, seed = 1) {
  const [W, H, scale, left, top] = [640, 480, 12, 150 + (seed % 5) * 20, 50 + (seed % 3) * 15];
  let state = seed * 2654435761 >>> 0;
  const noise = () => { state = (state * 1664525 + 1013904223) >>> 0; return (state / 2 ** 32 - 0.5) * 12; };
  const garment = (x, y) => {
    // Bilinear sample of the 28×28 image at fractional coordinates.
    const fx = Math.min(Math.max(x - 0.5, 0), 27), fy = Math.min(Math.max(y - 0.5, 0), 27);
    const x0 = Math.floor(fx), y0 = Math.floor(fy), x1 = Math.min(x0 + 1, 27), y1 = Math.min(y0 + 1, 27);
    const tx = fx - x0, ty = fy - y0, at = (xx, yy) => pixels[yy * 28 + xx];
    return (at(x0, y0) * (1 - tx) + at(x1, y0) * tx) * (1 - ty) + (at(x0, y1) * (1 - tx) + at(x1, y1) * tx) * ty;
  };
  return greyPng(W, H, (y) => {
    const row = Buffer.alloc(W);
    for (let x = 0; x < W; x++) {
      const table = 238 - 22 * (x / W) - 10 * (y / H) + noise();
      const gx = (x - left) / scale, gy = (y - top) / scale;
      const ink = gx >= 0 && gx < 28 && gy >= 0 && gy < 28 ? garment(gx, gy) / 255 : 0;
      row[x] = Math.max(0, Math.min(255, Math.round(table * (1 - 0.85 * ink))));
    }
    return row;
  });
}
