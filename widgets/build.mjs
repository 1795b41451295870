// `make widget` (npm run build): bundles src/ into dist/widget.min.js, mangled, which is what
// /widget.js serves; the service itself never needs Node. Beside it, dist/build.sha256 lists
// the sha256 of everything the build read and of what it wrote (`sha256sum -c` reads it, from
// widgets/), so a Python test can tell a stale or hand-edited build without Node.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

process.chdir(fileURLToPath(new URL('.', import.meta.url)));

const OUTPUT = 'dist/widget.min.js';
const inputs = ['build.mjs', 'package.json', 'package-lock.json',
  ...readdirSync('src').filter(name => name.endsWith('.js')).sort().map(name => 'src/' + name)];

await build({
  entryPoints: ['src/widget.js'],
  outfile: OUTPUT,
  bundle: true,
  format: 'iife',
  target: 'es2017', // what the widget promises host pages
  minify: true,     // whitespace, comments and local names: the source can afford real words
  // An IIFE bundle of modules is not strict by itself; the widget always was.
  banner: { js: '"use strict";' },
  logLevel: 'warning',
});

const sha256 = path => createHash('sha256').update(readFileSync(path)).digest('hex');
writeFileSync('dist/build.sha256', [...inputs, OUTPUT].map(path => `${sha256(path)}  ${path}\n`).join(''));
console.log(`${OUTPUT}: ${readFileSync(OUTPUT).length} bytes`);
