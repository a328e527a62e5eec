// SPDX-License-Identifier: GPL-3.0-or-later
// CSV (RFC 4180) rendering: a header of column ids, exact values, a blank line between tables.
#include "query/format.h"

namespace smbta::query {
namespace {

std::string field(std::string_view s) {
  // Quote when needed; a leading =, +, - or @ is prefixed with ' so that spreadsheets do not
  // evaluate names taken from the network as formulas.
  std::string v(s);
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@') &&
      !(v.size() > 1 && v[0] == '-' && v[1] >= '0' && v[1] <= '9'))
    v = std::string(1, '\'') + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string render_csv(std::span<const ResultTable> tables, const RenderOptions&) {
  std::string out;
  bool first = true;
  for (const auto& t : tables) {
    if (!first) out += "\r\n";
    first = false;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      if (c) out += ',';
      out += field(t.columns[c].id);
    }
    out += "\r\n";
    for (const auto& row : t.rows) {
      for (std::size_t c = 0; c < t.columns.size(); ++c) {
        if (c) out += ',';
        out += field(c < row.size() ? exact_text(row[c], t.columns[c].type) : "");
      }
      out += "\r\n";
    }
  }
  return out;
}

}  // namespace smbta::query
