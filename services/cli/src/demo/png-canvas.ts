import { writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';

// A 3×5 bitmap font for the few characters plot axes need; each row is 3 bits, most significant on the left.
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 2, 2, 2],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2],
  '%': [5, 1, 2, 4, 5],
  '=': [0, 7, 0, 7, 0],
  '(': [1, 2, 2, 2, 1],
  ')': [4, 2, 2, 2, 4],
  ε: [3, 4, 6, 4, 3],
  i: [2, 0, 2, 2, 2],
  n: [0, 6, 5, 5, 5],
  f: [3, 2, 7, 2, 2],
  k: [4, 5, 6, 5, 5],
  m: [0, 7, 7, 5, 5],
  s: [0, 3, 6, 1, 6],
  o: [0, 7, 5, 5, 7],
  l: [6, 2, 2, 2, 7],
  A: [2, 5, 7, 5, 5],
  C: [7, 4, 4, 4, 7],
  M: [5, 7, 7, 5, 5],
  N: [5, 7, 7, 7, 5],
  P: [7, 5, 7, 4, 4],
  U: [5, 5, 5, 5, 7],
  a: [0, 6, 3, 5, 7],
  c: [0, 7, 4, 4, 7],
  e: [7, 5, 7, 4, 7],
  d: [1, 1, 7, 5, 7],
  h: [4, 4, 7, 5, 5],
  t: [2, 7, 2, 2, 3],
  u: [0, 5, 5, 5, 7],
  r: [0, 7, 4, 4, 4],
  v: [0, 5, 5, 5, 2],
  y: [5, 5, 7, 1, 7],
  ' ': [0, 0, 0, 0, 0],
};

export type Rgb = [number, number, number];
export const BLACK: Rgb = [20, 20, 20];
export const GREY: Rgb = [200, 200, 200];
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
];

/** A white RGBA canvas with lines, dots and bitmap text, saved as PNG: enough for a bench's figure. */
export class Canvas {
  private readonly png: PNG;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height });
    this.png.data.fill(255);
  }

  set(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (Math.round(y) * this.width + Math.round(x)) * 4;
    [this.png.data[i], this.png.data[i + 1], this.png.data[i + 2], this.png.data[i + 3]] = [
      c[0],
      c[1],
      c[2],
      255,
    ];
  }

  line(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let t = 0; t <= n; t++) this.set(x0 + ((x1 - x0) * t) / n, y0 + ((y1 - y0) * t) / n, c);
  }

  dot(x: number, y: number, c: Rgb, r = 3): void {
    for (let dx = -r; dx <= r; dx++) for (let dy = -r; dy <= r; dy++) this.set(x + dx, y + dy, c);
  }

  text(x: number, y: number, s: string, c: Rgb, scale = 2): void {
    [...s].forEach((ch, k) => {
      (GLYPHS[ch] ?? GLYPHS[' ']).forEach((bits, row) => {
        for (let col = 0; col < 3; col++) {
          if (bits & (4 >> col)) {
            for (let dx = 0; dx < scale; dx++)
              for (let dy = 0; dy < scale; dy++)
                this.set(x + (k * 4 + col) * scale + dx, y + row * scale + dy, c);
          }
        }
      });
    });
  }

  async save(path: string): Promise<void> {
    await writeFile(path, PNG.sync.write(this.png));
  }
}
