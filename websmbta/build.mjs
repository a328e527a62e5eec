// SPDX-License-Identifier: GPL-3.0-or-later
// Bundles the dashboard: node build.mjs [<src dir> [<out dir>]]. CMake copies this file next to
// the node_modules that npm ci made in the build tree and runs it there.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(process.argv[2] ?? path.join(here, 'src'));
const outdir = path.resolve(process.argv[3] ?? path.join(here, 'dist'));

await rm(outdir, { recursive: true, force: true });
await mkdir(path.join(outdir, 'assets'), { recursive: true });
await build({
  entryPoints: {
    app: path.join(src, 'app.jsx'),
    login: path.join(src, 'login.js'),
    style: path.join(src, 'style.css'),
  },
  outdir: path.join(outdir, 'assets'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // The sources stay in the source tree; the packages are the ones next to this script.
  nodePaths: [path.join(here, 'node_modules')],
  logLevel: 'warning',
  legalComments: 'linked',
});
for (const page of ['index.html', 'login.html'])
  await copyFile(path.join(src, page), path.join(outdir, page));
await copyFile(path.join(src, 'favicon.svg'), path.join(outdir, 'assets/favicon.svg'));
