// SPDX-License-Identifier: GPL-3.0-or-later
// Bundles the dashboard: node build.mjs <outdir> [<node_modules dir>]. CMake runs it after npm ci.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, 'dist'));
const nodeModules = path.resolve(process.argv[3] ?? path.join(here, 'node_modules'));

await rm(outdir, { recursive: true, force: true });
await mkdir(path.join(outdir, 'assets'), { recursive: true });
await build({
  entryPoints: {
    app: path.join(here, 'src/app.jsx'),
    login: path.join(here, 'src/login.js'),
    style: path.join(here, 'src/style.css'),
  },
  outdir: path.join(outdir, 'assets'),
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // The sources stay in the source tree; the packages are installed in the build tree.
  nodePaths: [nodeModules],
  logLevel: 'warning',
  legalComments: 'linked',
});
for (const page of ['index.html', 'login.html'])
  await copyFile(path.join(here, 'src', page), path.join(outdir, page));
await copyFile(path.join(here, 'src/favicon.svg'), path.join(outdir, 'assets/favicon.svg'));
