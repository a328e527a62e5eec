// SPDX-License-Identifier: GPL-3.0-or-later
#include "query/result_codec.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "query/parser.h"
#include "smbta/v2_codec.h"

namespace smbta::query {
namespace {

constexpr std::string_view kTableMagic = "SMBTAR1:";
constexpr std::string_view kMultiMagic = "SMBTAM1:";

void put_uint(std::string& out, std::uint64_t v) {
  out += std::to_string(v);
  out += ':';
}
void put_field(std::string& out, std::string_view s) {
  put_uint(out, s.size());
  out += s;
}

// Why: every read is checked against the remaining input, so a hostile or truncated reply
// ends in an exception, never in an out-of-bounds read or a huge allocation.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint64_t uint() {
    const std::size_t colon = in_.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 20)
      throw std::runtime_error("malformed result: bad number");
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(in_.data(), in_.data() + colon, v);
    if (ec != std::errc() || p != in_.data() + colon)
      throw std::runtime_error("malformed result: bad number");
    in_.remove_prefix(colon + 1);
    return v;
  }
  std::int64_t integer() {
    const std::size_t colon = in_.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 20)
      throw std::runtime_error("malformed result: bad integer");
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(in_.data(), in_.data() + colon, v);
    if (ec != std::errc() || p != in_.data() + colon)
      throw std::runtime_error("malformed result: bad integer");
    in_.remove_prefix(colon + 1);
    return v;
  }
  // A count of items that each take at least `min_bytes` of the remaining input.
  std::uint64_t count(std::size_t min_bytes) {
    const auto n = uint();
    if (n > in_.size() / min_bytes) throw std::runtime_error("malformed result: count too large");
    return n;
  }
  std::string_view field() {
    const auto n = uint();
    if (n > in_.size()) throw std::runtime_error("malformed result: truncated field");
    std::string_view v = in_.substr(0, n);
    in_.remove_prefix(n);
    return v;
  }
  char tag() {
    if (in_.empty()) throw std::runtime_error("malformed result: truncated cell");
    const char c = in_[0];
    in_.remove_prefix(1);
    return c;
  }
  void expect(std::string_view magic) {
    if (!in_.starts_with(magic)) throw std::runtime_error("malformed result: bad magic");
    in_.remove_prefix(magic.size());
  }
  bool done() const { return in_.empty(); }
  std::size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

bool integral(ColumnType t) {
  return t == ColumnType::kBytes || t == ColumnType::kCount || t == ColumnType::kTimestamp;
}
bool floating(ColumnType t) {
  return t == ColumnType::kPercent || t == ColumnType::kRate;
}

}  // namespace

std::string encode_result(const ResultTable& t) {
  std::string out(kTableMagic);
  put_field(out, t.function);
  put_field(out, t.title);
  put_uint(out, t.columns.size());
  for (const auto& c : t.columns) {
    put_field(out, c.id);
    put_field(out, c.label);
    put_uint(out, static_cast<unsigned>(c.type));
  }
  put_uint(out, t.rows.size());
  for (const auto& row : t.rows) {
    if (row.size() != t.columns.size())
      throw std::invalid_argument("encode_result: row width differs from the column count");
    for (const auto& cell : row) {
      if (std::holds_alternative<std::monostate>(cell)) {
        out += 'N';
      } else if (const auto* s = std::get_if<std::string>(&cell)) {
        out += 'S';
        put_field(out, *s);
      } else if (const auto* i = std::get_if<std::int64_t>(&cell)) {
        out += 'I';
        out += std::to_string(*i);
        out += ':';
      } else {
        char buf[64];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, std::get<double>(cell));
        out += 'D';
        put_field(out, std::string_view(buf, static_cast<std::size_t>(p - buf)));
      }
    }
  }
  put_uint(out, t.notes.size());
  for (const auto& [k, v] : t.notes) {
    put_field(out, k);
    put_field(out, v);
  }
  return out;
}

ResultTable decode_result(std::string_view bytes) {
  Reader in(bytes);
  in.expect(kTableMagic);
  ResultTable t;
  t.function = in.field();
  t.title = in.field();
  const auto ncols = in.count(6);
  for (std::uint64_t i = 0; i < ncols; ++i) {
    Column c;
    c.id = in.field();
    c.label = in.field();
    const auto type = in.uint();
    if (type > static_cast<unsigned>(ColumnType::kRate))
      throw std::runtime_error("malformed result: unknown column type");
    c.type = static_cast<ColumnType>(type);
    t.columns.push_back(std::move(c));
  }
  const auto nrows = in.count(std::max<std::size_t>(1, ncols));
  for (std::uint64_t r = 0; r < nrows; ++r) {
    std::vector<Cell> row;
    row.reserve(ncols);
    for (std::uint64_t c = 0; c < ncols; ++c) {
      const ColumnType type = t.columns[c].type;
      switch (in.tag()) {
        case 'N':
          row.emplace_back();
          break;
        case 'S':
          if (type != ColumnType::kText) throw std::runtime_error("malformed result: cell type");
          row.emplace_back(std::string(in.field()));
          break;
        case 'I': {
          if (!integral(type)) throw std::runtime_error("malformed result: cell type");
          row.emplace_back(in.integer());
          break;
        }
        case 'D': {
          if (!floating(type)) throw std::runtime_error("malformed result: cell type");
          const std::string_view f = in.field();
          double d = 0;
          auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), d);
          if (ec != std::errc() || p != f.data() + f.size() || !std::isfinite(d))
            throw std::runtime_error("malformed result: bad number");
          row.emplace_back(d);
          break;
        }
        default:
          throw std::runtime_error("malformed result: unknown cell tag");
      }
    }
    t.rows.push_back(std::move(row));
  }
  const auto nnotes = in.count(4);
  for (std::uint64_t i = 0; i < nnotes; ++i) {
    std::string k(in.field());
    std::string v(in.field());
    t.notes.emplace_back(std::move(k), std::move(v));
  }
  if (!in.done()) throw std::runtime_error("malformed result: trailing bytes");
  return t;
}

std::string encode_results(std::span<const ResultTable> tables) {
  std::string out(kMultiMagic);
  put_uint(out, tables.size());
  for (const auto& t : tables) put_field(out, encode_result(t));
  return out;
}

std::vector<ResultTable> decode_results(std::string_view bytes, std::size_t max_trailing) {
  Reader in(bytes);
  in.expect(kMultiMagic);
  const auto n = in.count(kTableMagic.size() + 2);
  std::vector<ResultTable> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(decode_result(in.field()));
  if (in.remaining() > max_trailing) throw std::runtime_error("malformed result: trailing bytes");
  return out;
}

std::string query_request_body(std::string_view text) {
  if (text.size() > kMaxSubBlockValue)
    throw std::length_error(
        fmt::format("the query is {} bytes long; smbtad's client port takes at most {}",
                    text.size(), kMaxSubBlockValue));
  std::string body = "QQ";
  append_sub_block(body, text);
  return body;
}

std::string encode_query_request(std::string_view text) {
  return frame_body(query_request_body(text));
}

std::string error_reply_body(QueryError::Kind kind, std::string_view message) {
  std::string body = "QE";
  append_sub_block(body, message.substr(0, kMaxSubBlockValue));
  append_sub_block(body, std::to_string(static_cast<int>(kind)));
  return body;
}

std::string serve_query_request(std::string_view body, store::DbiConnection& db,
                                const QueryOptions& opts) {
  return frame_body(serve_query_body(body, db, opts));
}

std::string serve_query_body(std::string_view body, store::DbiConnection& db,
                             const QueryOptions& opts) {
  if (!is_query_request(body))
    return error_reply_body(QueryError::Kind::kSyntax, "not a query request (expected \"QQ\")");
  SubBlockReader rd(body.substr(2));
  std::string_view text;
  if (rd.next(text) != ProtocolError::kNone)
    return error_reply_body(QueryError::Kind::kSyntax, "malformed query request");
  try {
    const auto tables = run(text, db, opts);
    return "QR" + encode_results(tables);
  } catch (const QueryError& e) {
    return error_reply_body(e.kind(), e.what());
  } catch (const std::exception& e) {
    return error_reply_body(QueryError::Kind::kDatabase, e.what());
  }
}

}  // namespace smbta::query
