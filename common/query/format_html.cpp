// SPDX-License-Identifier: GPL-3.0-or-later
// HTML rendering: one self-contained page (inline CSS, usage as an inline SVG bar chart).
#include <fmt/format.h>

#include <algorithm>

#include "query/format.h"
#include "smbta/timestamp.h"

namespace smbta::query {
namespace {

std::string esc(std::string_view s) {
  return markup_escape(s);
}

bool numeric(ColumnType t) {
  return t != ColumnType::kText && t != ColumnType::kTimestamp;
}

// 24 bars, height proportional to each hour's share of the busiest hour.
void usage_chart(std::string& out, const ResultTable& t) {
  constexpr int kBar = 24, kGap = 4, kHeight = 160, kLabel = 18;
  // Rows of another shape (a table decoded from the network) are drawn as empty bars.
  auto share = [](const std::vector<Cell>& row) {
    const auto* p = row.size() > 2 ? std::get_if<double>(&row[2]) : nullptr;
    return p ? *p : 0.0;
  };
  double max = 0;
  for (const auto& row : t.rows) max = std::max(max, share(row));
  const int width = static_cast<int>(t.rows.size()) * (kBar + kGap);
  out += fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"traffic per hour of the day\">\n",
      width, kHeight + kLabel);
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    if (t.rows[i].size() < 3) continue;
    const double p = share(t.rows[i]);
    const int h = max > 0 ? static_cast<int>(p / max * kHeight + 0.5) : 0;
    const int x = static_cast<int>(i) * (kBar + kGap);
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}: {} ({})</title></rect>"
        "<text x=\"{}\" y=\"{}\">{:02}</text>\n",
        x, kHeight - h, kBar, h, esc(display_text(t.rows[i][0], ColumnType::kText)),
        esc(display_text(t.rows[i][1], ColumnType::kBytes)),
        esc(display_text(t.rows[i][2], ColumnType::kPercent)), x + kBar / 2, kHeight + kLabel - 4,
        i);
  }
  out += "</svg>\n";
}

// One stacked bar per day (read below, written above) and the least-squares line of the daily
// totals, scaled to the busiest day. Inline styles: the page's stylesheet colours usage's bars.
void trend_chart(std::string& out, const ResultTable& t) {
  constexpr int kHeight = 160, kLabel = 18, kMaxWidth = 720;
  auto bytes = [](const std::vector<Cell>& row, std::size_t c) {
    const auto* p = row.size() > c ? std::get_if<std::int64_t>(&row[c]) : nullptr;
    return p ? static_cast<double>(*p) : 0.0;
  };
  const int n = static_cast<int>(t.rows.size());
  if (n == 0) return;
  const int step = std::max(3, std::min(28, kMaxWidth / n));
  const int bar = std::max(2, step - std::max(1, step / 7));
  double max = 0;
  for (const auto& row : t.rows) max = std::max(max, bytes(row, 1) + bytes(row, 2));
  auto y = [&](double v) { return max > 0 ? static_cast<int>(v / max * kHeight + 0.5) : 0; };
  const int width = n * step;
  out += fmt::format(
      "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"bytes read and written per day\">\n",
      width, kHeight + kLabel);
  for (int i = 0; i < n; ++i) {
    const auto& row = t.rows[static_cast<std::size_t>(i)];
    const int hr = y(bytes(row, 1)), hw = y(bytes(row, 1) + bytes(row, 2)) - hr;
    const int x = i * step;
    const std::string day =
        row.empty() ? std::string() : display_text(row[0], ColumnType::kText).substr(0, 10);
    const std::string tip =
        fmt::format("{}: {} read, {} written", day,
                    display_text(row.size() > 1 ? row[1] : Cell(), ColumnType::kBytes),
                    display_text(row.size() > 2 ? row[2] : Cell(), ColumnType::kBytes));
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
        "style=\"fill:#3a7bd5\"><title>{}</title>"
        "</rect><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" style=\"fill:#e08a3a\"><title>{}"
        "</title></rect>\n",
        x, kHeight - hr, bar, hr, esc(tip), x, kHeight - hr - hw, bar, hw, esc(tip));
    // A date under the first bar and then every seventh.
    if (i % 7 == 0 && day.size() == 10)
      out += fmt::format("<text x=\"{}\" y=\"{}\" style=\"font-size:10px;fill:#555\">{}</text>\n",
                         x, kHeight + kLabel - 4, esc(day.substr(5)));
  }
  // The fitted line: mean +- slope around the middle day.
  const double slope = note_double(t, "growth_per_day");
  const double mean = note_double(t, "mean_per_day");
  const double mid = (n - 1) / 2.0;
  auto fit = [&](int i) { return std::clamp(mean + slope * (i - mid), 0.0, max); };
  if (max > 0)
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" style=\"stroke:#222;stroke-width:1.5;"
        "stroke-dasharray:4 2\"><title>trend: {}/day</title></line>\n",
        bar / 2, kHeight - y(fit(0)), (n - 1) * step + bar / 2, kHeight - y(fit(n - 1)),
        esc(human_bytes(note_int(t, "growth_per_day"))));
  out += "</svg>\n";
}

void table(std::string& out, const ResultTable& t) {
  out += "<section class=\"" + esc(t.function) + "\">\n<h2>" + esc(t.title) + "</h2>\n";
  if (t.function == "usage") usage_chart(out, t);
  if (t.function == "trend") trend_chart(out, t);
  out += "<table>\n<thead><tr>";
  for (const auto& c : t.columns)
    if (c.id != "key") out += "<th>" + esc(c.label) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      if (t.columns[c].id == "key") continue;
      const std::string v = c < row.size() ? display_text(row[c], t.columns[c].type) : "";
      out += numeric(t.columns[c].type) ? "<td class=\"n\">" : "<td>";
      out += esc(v) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  if (t.rows.empty()) out += "<p>Nothing found.</p>\n";
  if (const auto* n = t.note("truncated"))
    out += "<p>Only the first " + esc(*n) + " rows are shown.</p>\n";
  if (t.function == "usage" || t.function == "throughput")
    out += "<p>Total: " + esc(human_bytes(note_int(t, "total"))) + "</p>\n";
  if (t.function == "trend") out += "<p>" + esc(trend_summary(t)) + "</p>\n";
  if (t.function == "latency" || t.function == "top_slowest")
    out += "<p>" + esc(latency_summary(t)) + "</p>\n";
  if (const auto* e = t.note("error")) out += "<p>" + esc(*e) + "</p>\n";
  if (const auto* x = t.note("explain")) out += "<p>" + esc(*x) + "</p>\n";
  out += "</section>\n";
}

}  // namespace

std::string render_html(std::span<const ResultTable> tables, const RenderOptions& opts) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>SMB Traffic Analyzer report</title>\n<style>\n"
      "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
      "h2{font-size:1.1em;margin-top:1.5em}\n"
      "table{border-collapse:collapse}\n"
      "th,td{border:1px solid #bbb;padding:.2em .6em;text-align:left}\n"
      "th{background:#eee}\n"
      "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
      "svg.chart rect{fill:#3a7bd5}\n"
      "svg.chart text{font-size:10px;text-anchor:middle;fill:#555}\n"
      "footer{margin-top:2em;border-top:1px solid #bbb;text-align:right;font-size:.9em}\n"
      "</style>\n</head>\n<body>\n";
  for (const auto& t : tables) table(out, t);
  out += "<footer>SMB Traffic Analyzer " + esc(opts.version) + ", " +
         format_timestamp(opts.generated_ms).substr(0, 19) + "</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace smbta::query
