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
