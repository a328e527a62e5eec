// SPDX-License-Identifier: GPL-3.0-or-later
// A smbtaquery result table with sorting, paging and CSV/JSON/text export.
import { useMemo, useState } from 'preact/hooks';
import { getText, queryUrl } from '../api.js';
import { cell } from '../format.js';
import { download, exportName } from './download.js';

const NUMERIC = new Set(['bytes', 'count', 'percent', 'rate']);

function compare(a, b, numeric) {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  return numeric ? Number(a) - Number(b) : String(a).localeCompare(String(b));
}

// Why exports re-ask the server: the CSV (and JSON) must be exactly what smbtaquery prints for
// the same function, not the browser's rendering of it. `source` is { q, range } of a query
// holding this one function.
export function ResultTable({ result, source, pageSize = 20, testid }) {
  const [sort, setSort] = useState(null);
  const [page, setPage] = useState(0);
  const [exportError, setExportError] = useState(null);
  const rows = useMemo(() => {
    if (!sort) return result.rows;
    const col = result.columns.find((c) => c.id === sort.id);
    const numeric = NUMERIC.has(col?.type);
    const sorted = [...result.rows].sort((x, y) => compare(x[sort.id], y[sort.id], numeric));
    return sort.dir === 'desc' ? sorted.reverse() : sorted;
  }, [result, sort]);
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const current = Math.min(page, pages - 1);
  const shown = rows.slice(current * pageSize, (current + 1) * pageSize);

  const toggle = (id) => {
    setSort((s) => (s && s.id === id ? { id, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { id, dir: 'asc' }));
    setPage(0);
  };
  const doExport = async (format, ext, type) => {
    setExportError(null);
    try {
      const text = await getText(queryUrl(source.q, format, source.range));
      download(exportName(result.function, ext), text, type);
    } catch (e) {
      setExportError(e.message);
    }
  };

  return (
    <div class="result" data-testid={testid} data-function={result.function}>
      <div class="result-head">
        <h3>{result.title}</h3>
        {source && (
          <div class="exports no-print">
            <button type="button" data-action="export-csv" onClick={() => doExport('csv', 'csv', 'text/csv')}>
              CSV
            </button>
            <button
              type="button"
              data-action="export-json"
              onClick={() => doExport('json', 'json', 'application/json')}
            >
              JSON
            </button>
            <button type="button" data-action="export-text" onClick={() => doExport('text', 'txt', 'text/plain')}>
              Text
            </button>
          </div>
        )}
      </div>
      {exportError && <p class="error">{exportError}</p>}
      <table>
        <thead>
          <tr>
            {result.columns.map((c) => (
              <th
                key={c.id}
                data-col={c.id}
                class={NUMERIC.has(c.type) ? 'num' : ''}
                aria-sort={sort?.id === c.id ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
              >
                <button type="button" class="sort" onClick={() => toggle(c.id)}>
                  {c.label}
                  {sort?.id === c.id ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => (
            <tr key={i}>
              {result.columns.map((c) => (
                <td key={c.id} data-col={c.id} data-value={r[c.id] ?? ''} class={NUMERIC.has(c.type) ? 'num' : ''}>
                  {cell(r[c.id], c.type)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {result.rows.length === 0 && <p class="empty">No rows.</p>}
      {pages > 1 && (
        <div class="pager no-print">
          <button type="button" data-action="prev-page" disabled={current === 0} onClick={() => setPage(current - 1)}>
            ‹ Previous
          </button>
          <span class="page-info">
            Page {current + 1} of {pages} ({rows.length} rows)
          </span>
          <button
            type="button"
            data-action="next-page"
            disabled={current >= pages - 1}
            onClick={() => setPage(current + 1)}
          >
            Next ›
          </button>
        </div>
      )}
    </div>
  );
}
