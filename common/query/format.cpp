// SPDX-License-Identifier: GPL-3.0-or-later
#include "query/format.h"

#include <fmt/format.h>

#include <charconv>

#include "smbta/timestamp.h"

namespace smbta::query {

std::string_view type_name(ColumnType t) {
  switch (t) {
    case ColumnType::kText:
      return "text";
    case ColumnType::kBytes:
      return "bytes";
    case ColumnType::kCount:
      return "count";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kPercent:
      return "percent";
    case ColumnType::kRate:
      return "rate";
  }
  return "text";
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "ascii") return Format::kAscii;
  if (name == "html") return Format::kHtml;
  if (name == "xml") return Format::kXml;
  if (name == "json") return Format::kJson;
  if (name == "csv") return Format::kCsv;
  return std::nullopt;
}

std::string render(Format f, std::span<const ResultTable> tables, const RenderOptions& opts) {
  switch (f) {
    case Format::kAscii:
      return render_ascii(tables, opts);
    case Format::kHtml:
      return render_html(tables, opts);
    case Format::kXml:
      return render_xml(tables, opts);
    case Format::kJson:
      return render_json(tables, opts);
    case Format::kCsv:
      return render_csv(tables, opts);
  }
  return {};
}

std::string human_bytes(std::int64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  const bool neg = bytes < 0;
  const auto mag = neg ? -static_cast<double>(bytes) : static_cast<double>(bytes);
  if (mag < 1024) return fmt::format("{} B", bytes);
  double v = mag;
  int u = -1;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  // 1023.96 KiB would print as "1024.0 KiB"; show it as the next unit instead.
  if (v >= 1023.95 && u < 5) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{}{:.1f} {}", neg ? "-" : "", v, kUnits[u]);
}

std::string display_text(const Cell& cell, ColumnType type) {
  if (std::holds_alternative<std::monostate>(cell)) return "";
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&cell)) {
    switch (type) {
      case ColumnType::kBytes:
        return human_bytes(*i);
      case ColumnType::kTimestamp:
        return format_timestamp(*i).substr(0, 19);
      default:
        return std::to_string(*i);
    }
  }
  const double d = std::get<double>(cell);
  if (type == ColumnType::kPercent) return fmt::format("{:.2f}%", d);
  if (type == ColumnType::kRate) {
    if (d < 1024) return fmt::format("{:.1f} B/s", d);
    return human_bytes(static_cast<std::int64_t>(d)) + "/s";
  }
  return fmt::format("{:.2f}", d);
}

std::string exact_text(const Cell& cell, ColumnType type) {
  if (std::holds_alternative<std::monostate>(cell)) return "";
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&cell))
    return type == ColumnType::kTimestamp ? format_timestamp(*i) : std::to_string(*i);
  return fmt::format("{:.2f}", std::get<double>(cell));
}

std::int64_t note_int(const ResultTable& t, std::string_view key) {
  const std::string* v = t.note(key);
  std::int64_t out = 0;
  if (v) {
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size()) out = 0;
  }
  return out;
}

double note_double(const ResultTable& t, std::string_view key) {
  const std::string* v = t.note(key);
  double out = 0;
  if (v) {
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size()) out = 0;
  }
  return out;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

}  // namespace

std::string markup_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (n == 1) {
      const char c = s[i];
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
            out += "\xEF\xBF\xBD";
          else
            out += c;
      }
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string terminal_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_len(s, i);
    if (n == 0 || (n == 1 && (static_cast<unsigned char>(s[i]) < 0x20 || s[i] == 0x7f))) {
      out += '?';
      ++i;
    } else {
      // C1 controls (U+0080..U+009F) are escape sequences on some terminals too.
      if (n == 2 && static_cast<unsigned char>(s[i]) == 0xC2 &&
          static_cast<unsigned char>(s[i + 1]) < 0xA0)
        out += '?';
      else
        out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace smbta::query
