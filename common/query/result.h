// SPDX-License-Identifier: GPL-3.0-or-later
// The typed result of one query function: titled table with typed columns, rendered by formatters.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace smbta::query {

// Why: formatters must know what a number means (bytes get human units in ascii but stay exact in
// json/csv, a timestamp is not a count) without re-parsing display text.
enum class ColumnType : std::uint8_t {
  kText = 0,
  kBytes = 1,      // int64 byte count
  kCount = 2,      // int64 plain number (positions, record counts, ports)
  kTimestamp = 3,  // int64 naive local milliseconds (see smbta::Record::timestamp_ms)
  kPercent = 4,    // double, 0..100
  kRate = 5,       // double, bytes per second
};

std::string_view type_name(ColumnType t);

// Why: `id` is the stable machine name (json keys, csv header, the XML `id` attributes webSMBTA
// parses) while `label` is what a human reads; they differ and must not be derived from each
// other.
struct Column {
  std::string id;
  std::string label;
  ColumnType type = ColumnType::kText;
  bool operator==(const Column&) const = default;
};

// Text for kText, int64 for bytes/count/timestamp, double for percent/rate; monostate is NULL.
using Cell = std::variant<std::monostate, std::string, std::int64_t, double>;

// Why: one value per executed function, independent of where it was computed (direct database
// access or smbtad's client port) and of how it is shown.
struct ResultTable {
  std::string function;  // "total", "list", "top", "last_activity", "usage", "search", ...
  std::string title;     // the sentence describing the result ("Total number of bytes ...")
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
  // Function-specific extras the XML envelope needs (e.g. "total" of usage, "mode").
  std::vector<std::pair<std::string, std::string>> notes;

  const std::string* note(std::string_view key) const {
    for (const auto& [k, v] : notes)
      if (k == key) return &v;
    return nullptr;
  }
  bool operator==(const ResultTable&) const = default;
};

}  // namespace smbta::query
