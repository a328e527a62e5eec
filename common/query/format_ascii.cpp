// SPDX-License-Identifier: GPL-3.0-or-later
// Plain-text rendering: one aligned table per function, human units, a footer line.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "query/format.h"
#include "smbta/timestamp.h"

namespace smbta::query {
namespace {

std::size_t width(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool right_aligned(ColumnType t) {
  return t != ColumnType::kText && t != ColumnType::kTimestamp;
}

// Machine keys (smbtad-report, self-check) are for xml/json only.
bool hidden(const Column& c) {
  return c.id == "key";
}

constexpr std::size_t kBarWidth = 40;

// The share column of a usage row; 0 for anything else (a table decoded from the network may
// be shaped differently).
double share_of(const std::vector<Cell>& row) {
  const auto* p = row.size() > 2 ? std::get_if<double>(&row[2]) : nullptr;
  return p ? *p : 0.0;
}

void render_table(std::string& out, const ResultTable& t) {
  out += terminal_safe(t.title);
  out += "\n\n";
  std::vector<std::size_t> cols;
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    if (!hidden(t.columns[c])) cols.push_back(c);
  const bool bars = t.function == "usage";
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> w(cols.size(), 0);
  for (std::size_t k = 0; k < cols.size(); ++k) w[k] = width(t.columns[cols[k]].label);
  for (const auto& row : t.rows) {
    std::vector<std::string> line;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const std::size_t c = cols[k];
      line.push_back(terminal_safe(c < row.size() ? display_text(row[c], t.columns[c].type) : ""));
      w[k] = std::max(w[k], width(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto emit = [&](const std::vector<std::string>& line, const std::string& extra) {
    std::string s;
    for (std::size_t k = 0; k < line.size(); ++k) {
      const std::size_t pad = w[k] - std::min(w[k], width(line[k]));
      const bool last = k + 1 == line.size() && extra.empty();
      if (k) s += "  ";
      if (right_aligned(t.columns[cols[k]].type)) {
        s.append(pad, ' ');
        s += line[k];
      } else {
        s += line[k];
        if (!last) s.append(pad, ' ');
      }
    }
    if (!extra.empty()) s += "  " + extra;
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out += s;
    out += '\n';
  };
  std::vector<std::string> head;
  for (std::size_t c : cols) head.push_back(t.columns[c].label);
  emit(head, "");
  std::vector<std::string> dashes;
  for (std::size_t k = 0; k < cols.size(); ++k) dashes.emplace_back(w[k], '-');
  emit(dashes, "");
  for (std::size_t r = 0; r < cells.size(); ++r) {
    std::string bar;
    if (bars) {
      // A bar per hour, scaled to the busiest hour.
      double max = 0;
      for (const auto& row : t.rows) max = std::max(max, share_of(row));
      const double p = share_of(t.rows[r]);
      if (max > 0) bar.assign(static_cast<std::size_t>(p / max * kBarWidth + 0.5), '#');
    }
    emit(cells[r], bar);
  }
  if (t.rows.empty()) out += "(nothing found)\n";
  if (const auto* n = t.note("truncated"))
    out += fmt::format("(only the first {} rows are shown)\n", *n);
  if (t.function == "usage") out += fmt::format("Total: {}\n", human_bytes(note_int(t, "total")));
  if (t.function == "throughput")
    out += fmt::format("Total: {}, on average {}\n", human_bytes(note_int(t, "total")),
                       display_text(Cell(note_double(t, "average_rate")), ColumnType::kRate));
  if (t.function == "trend") out += terminal_safe(trend_summary(t)) + "\n";
  if (t.function == "latency" || t.function == "top_slowest")
    out += terminal_safe(latency_summary(t)) + "\n";
  if (const auto* e = t.note("error")) out += terminal_safe(*e) + "\n";
  if (const auto* x = t.note("explain")) out += terminal_safe(*x) + "\n";
  out += '\n';
}

}  // namespace

std::string render_ascii(std::span<const ResultTable> tables, const RenderOptions& opts) {
  std::string out;
  for (const auto& t : tables) render_table(out, t);
  out += std::string(78, '-');
  out += fmt::format("\nSMB Traffic Analyzer {}, {}\n", opts.version,
                     format_timestamp(opts.generated_ms).substr(0, 19));
  return out;
}

}  // namespace smbta::query
