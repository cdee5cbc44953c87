#!/usr/bin/env node
// Draws KeyDock's icon (a key on a rounded tile) at every size the installers want, as PNG,
// with no image library: a signed-distance rasteriser and zlib. Run after changing the design.
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'icons');
mkdirSync(out, { recursive: true });

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Shapes in a unit square; each returns true when (x, y) is inside.
const roundedTile = (x, y) => {
  const r = 0.2, m = 0.04;
  const dx = Math.max(m + r - x, 0, x - (1 - m - r));
  const dy = Math.max(m + r - y, 0, y - (1 - m - r));
  return x >= m && x <= 1 - m && y >= m && y <= 1 - m && dx * dx + dy * dy <= r * r;
};
const ring = (x, y) => {
  const d = Math.hypot(x - 0.34, y - 0.5);
  return d <= 0.17 && d >= 0.08;
};
const shaft = (x, y) => x >= 0.48 && x <= 0.84 && y >= 0.465 && y <= 0.535;
const teeth = (x, y) => (x >= 0.7 && x <= 0.75 && y >= 0.535 && y <= 0.64) || (x >= 0.79 && x <= 0.84 && y >= 0.535 && y <= 0.61);
const key = (x, y) => ring(x, y) || shaft(x, y) || teeth(x, y);

function draw(size, { tile }) {
  const ss = 4;
  const buf = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0, fg = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) / size;
          const y = (py + (sy + 0.5) / ss) / size;
          if (key(x, y)) fg++;
          else if (tile && roundedTile(x, y)) bg++;
        }
      }
      const n = ss * ss;
      const i = (py * size + px) * 4;
      const a = (bg + fg) / n;
      // tile: deep teal; key: white (tray: dark key, no tile, so it reads on light and dark bars)
      const [r, g, b] = tile ? [(bg * 0x1f + fg * 0xff) / Math.max(bg + fg, 1), (bg * 0x6f + fg * 0xff) / Math.max(bg + fg, 1), (bg * 0x8b + fg * 0xff) / Math.max(bg + fg, 1)] : [0x20, 0x20, 0x20];
      buf[i] = r;
      buf[i + 1] = g;
      buf[i + 2] = b;
      buf[i + 3] = Math.round(a * 255);
    }
  }
  return png(size, buf);
}

for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
  const data = draw(size, { tile: true });
  writeFileSync(join(out, `${size}x${size}.png`), data);
  if (size === 256 || size === 1024) writeFileSync(join(out, `icon-${size}.png`), data);
}
writeFileSync(join(out, 'tray.png'), draw(32, { tile: false }));
writeFileSync(join(out, 'tray@2x.png'), draw(64, { tile: false }));
console.log(`icons written to ${out}`);
