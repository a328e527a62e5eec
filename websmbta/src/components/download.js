// SPDX-License-Identifier: GPL-3.0-or-later
// Saves text as a file through an object URL (no inline script, CSP-friendly).
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const pad = (n) => String(n).padStart(2, '0');

// function-YYYY-MM-DD-HHMMSS.ext, as the original webSMBTA named its downloads.
export function exportName(fn, ext) {
  const d = new Date();
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}${pad(
    d.getMinutes(),
  )}${pad(d.getSeconds())}`;
  return `${String(fn).replace(/[^A-Za-z0-9_-]/g, '_')}-${stamp}.${ext}`;
}
