// SPDX-License-Identifier: GPL-3.0-or-later
// Output formats of query results: ascii, html, xml (1.2.x element structure), json, csv.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "query/result.h"

namespace smbta::query {

enum class Format : std::uint8_t { kAscii, kHtml, kXml, kJson, kCsv };

// "ascii", "html", "xml", "json", "csv" (exact, lower case).
std::optional<Format> parse_format(std::string_view name);

// Why: the footer's time and version must be injectable so that output is reproducible in
// tests and identical whether the result came from the database or from smbtad.
struct RenderOptions {
  std::int64_t generated_ms = 0;  // naive local ms shown in the footer
  std::string version;            // smbta version shown in the footer
};

std::string render(Format f, std::span<const ResultTable> tables, const RenderOptions& opts);

std::string render_ascii(std::span<const ResultTable> tables, const RenderOptions& opts);
std::string render_html(std::span<const ResultTable> tables, const RenderOptions& opts);
std::string render_xml(std::span<const ResultTable> tables, const RenderOptions& opts);
std::string render_json(std::span<const ResultTable> tables, const RenderOptions& opts);
std::string render_csv(std::span<const ResultTable> tables, const RenderOptions& opts);

// Binary units with one decimal: 0 B, 1023 B, 1.0 KiB, 1.5 MiB, 5.0 GiB.
std::string human_bytes(std::int64_t bytes);
// A cell as a person reads it: human bytes, "25.00%", "YYYY-MM-DD HH:MM:SS", "1.5 MiB/s".
std::string display_text(const Cell& cell, ColumnType type);
// A cell exactly: integers in full, percent/rate with two decimals, timestamps with ms.
std::string exact_text(const Cell& cell, ColumnType type);

// A numeric note ("total", "average_rate"), 0 when absent or not a number (tables decoded from
// the network are not trusted to carry them).
std::int64_t note_int(const ResultTable& t, std::string_view key);
double note_double(const ResultTable& t, std::string_view key);

// The sentence under a trend table: totals, growth and the busiest hour of the week.
std::string trend_summary(const ResultTable& t);
// The sentence under a latency table: how many operations, and the percentiles' error bound.
std::string latency_summary(const ResultTable& t);

// XML/HTML text escaping of &, <, >, " and '; control characters (not valid in XML 1.0) and
// invalid UTF-8 become U+FFFD.
std::string markup_escape(std::string_view s);
// Replaces bytes that would act on a terminal (C0 controls, DEL, invalid UTF-8) by '?'.
std::string terminal_safe(std::string_view s);

}  // namespace smbta::query
