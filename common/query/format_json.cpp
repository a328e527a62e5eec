// SPDX-License-Identifier: GPL-3.0-or-later
// JSON rendering: typed values (integers, numbers, strings, null) keyed by column id.
#include <fmt/format.h>

#include "query/format.h"
#include "smbta/timestamp.h"

namespace smbta::query {
namespace {

std::string str(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

// Invalid UTF-8 would make the whole document unparsable; such bytes become U+FFFD.

std::string valid_utf8(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n != 0 && i + n <= s.size() && !(n == 2 && c < 0xC2);
    for (std::size_t k = 1; ok && k < n; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string value(const Cell& cell, ColumnType type) {
  if (std::holds_alternative<std::monostate>(cell)) return "null";
  if (const auto* s = std::get_if<std::string>(&cell)) return str(valid_utf8(*s));
  if (const auto* i = std::get_if<std::int64_t>(&cell))
    return type == ColumnType::kTimestamp ? str(format_timestamp(*i)) : std::to_string(*i);
  const double d = std::get<double>(cell);
  return fmt::format("{:.2f}", d);
}

}  // namespace

std::string render_json(std::span<const ResultTable> tables, const RenderOptions& opts) {
  std::string out = "{\n  \"generator\": \"smbta ";
  out += opts.version;
  out += "\",\n  \"generated\": ";
  out += str(format_timestamp(opts.generated_ms));
  out += ",\n  \"results\": [";
  for (std::size_t ti = 0; ti < tables.size(); ++ti) {
    const auto& t = tables[ti];
    out += ti ? ",\n    {" : "\n    {";
    out += "\n      \"function\": " + str(t.function);
    out += ",\n      \"title\": " + str(valid_utf8(t.title));
    out += ",\n      \"columns\": [";
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      out += c ? ", " : "";
      out += fmt::format("{{\"id\": {}, \"label\": {}, \"type\": {}}}", str(t.columns[c].id),
                         str(t.columns[c].label), str(type_name(t.columns[c].type)));
    }
    out += "],\n      \"rows\": [";
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      out += r ? ",\n        {" : "\n        {";
      for (std::size_t c = 0; c < t.columns.size(); ++c) {
        if (c) out += ", ";
        out += str(t.columns[c].id) + ": ";
        out += c < t.rows[r].size() ? value(t.rows[r][c], t.columns[c].type) : "null";
      }
      out += "}";
    }
    out += t.rows.empty() ? "]" : "\n      ]";
    out += ",\n      \"notes\": {";
    for (std::size_t n = 0; n < t.notes.size(); ++n) {
      out += n ? ", " : "";
      out += str(t.notes[n].first) + ": " + str(valid_utf8(t.notes[n].second));
    }
    out += "}\n    }";
  }
  out += tables.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace smbta::query
