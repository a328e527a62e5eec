// SPDX-License-Identifier: GPL-3.0-or-later
#include "spool.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "smbta/log.h"
#include "smbta/unique_fd.h"
#include "smbta/v2_codec.h"

namespace smbtad {
namespace {

// Version 1 (smbta 2.0.0) had neither row count nor checksum: a segment cut at a row boundary
// read as a shorter valid one. It is still read; version 2 is written.
constexpr std::string_view kMagicV1 = "SMBTASPOOL1\n";
constexpr std::string_view kMagicV2 = "SMBTASPOOL2\n";
constexpr std::size_t kCrcBytes = 4;

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

bool get_u64(std::string_view& in, std::uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

std::uint32_t crc_of(std::string_view data) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// Rows until `in` is used up; false on anything malformed.
bool parse_rows(std::string_view in, std::vector<smbta::store::Row>& out) {
  while (!in.empty()) {
    std::uint64_t merged, acc, start, width, len;
    if (!get_u64(in, merged) || !get_u64(in, acc) || !get_u64(in, start) || !get_u64(in, width) ||
        !get_u64(in, len) || len > in.size() || merged > UINT32_MAX || acc > 1)
      return false;
    smbta::store::Row row;
    if (smbta::parse_body(in.substr(0, len), row.rec) != smbta::ProtocolError::kNone) return false;
    in.remove_prefix(len);
    row.merged = static_cast<std::uint32_t>(merged);
    row.accumulate = acc != 0;
    row.bucket_start_ms = static_cast<std::int64_t>(start);
    row.bucket_ms = static_cast<std::int64_t>(width);
    out.push_back(std::move(row));
  }
  return true;
}

bool all_of(std::string_view s, std::size_t n, int (*pred)(int)) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!pred(static_cast<unsigned char>(c))) return false;
  return true;
}

// "<16 digits>.spool" (2.0.0) or "<16 digits>-<16 hex digits>.spool"; nullopt for anything else.
std::optional<std::pair<std::uint64_t, std::string>> parse_name(const std::filesystem::path& p) {
  if (p.extension() != ".spool") return std::nullopt;
  const std::string stem = p.stem().string();
  const std::string_view seq = std::string_view(stem).substr(0, 16);
  if (!all_of(seq, 16, ::isdigit)) return std::nullopt;
  std::string generation;
  if (stem.size() != 16) {
    if (stem.size() != 33 || stem[16] != '-' || !all_of(stem.substr(17), 16, ::isxdigit))
      return std::nullopt;
    generation = stem.substr(17);
  }
  return std::pair{std::stoull(std::string(seq)), generation};
}

std::string new_generation() {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v))
    throw std::runtime_error(std::string("getrandom: ") + std::strerror(errno));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(v));
  return hex;
}

}  // namespace

std::string Spool::serialize(std::span<const smbta::store::Row> rows) {
  // Each row: merged, accumulate, bucket start, bucket width, body length, V2 body. The body
  // reuses the protocol codec, so what is spooled is exactly what was received.
  std::string out(kMagicV2);
  put_u64(out, rows.size());
  std::string body;
  for (const auto& r : rows) {
    body.clear();
    smbta::encode_body(r.rec, body);
    put_u64(out, r.merged);
    put_u64(out, r.accumulate ? 1 : 0);
    put_u64(out, static_cast<std::uint64_t>(r.bucket_start_ms));
    put_u64(out, static_cast<std::uint64_t>(r.bucket_ms));
    put_u64(out, body.size());
    out += body;
  }
  const std::uint32_t crc = crc_of(out);
  for (std::size_t i = 0; i < kCrcBytes; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
  return out;
}

bool Spool::deserialize(std::string_view in, std::vector<smbta::store::Row>& out) {
  std::vector<smbta::store::Row> rows;
  if (in.starts_with(kMagicV1)) {
    if (!parse_rows(in.substr(kMagicV1.size()), rows)) return false;
  } else {
    if (!in.starts_with(kMagicV2) || in.size() < kMagicV2.size() + 8 + kCrcBytes) return false;
    const std::string_view covered = in.substr(0, in.size() - kCrcBytes);
    std::uint32_t crc = 0;
    for (std::size_t i = 0; i < kCrcBytes; ++i)
      crc |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[covered.size() + i]))
             << (8 * i);
    if (crc != crc_of(covered)) return false;
    std::string_view body = covered.substr(kMagicV2.size());
    std::uint64_t count = 0;
    if (!get_u64(body, count) || !parse_rows(body, rows) || rows.size() != count) return false;
  }
  for (auto& r : rows) out.push_back(std::move(r));
  return true;
}

Spool::Spool(std::filesystem::path dir, bool replayed)
    : dir_(std::move(dir)), generation_(new_generation()) {
  std::filesystem::create_directories(dir_);
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    const auto& path = e.path();
    if (path.extension() == ".tmp" && path.stem().extension() == ".spool") {
      // A segment whose write never finished: its rows were never counted as spooled.
      std::error_code ec;
      std::filesystem::remove(path, ec);
      continue;
    }
    if (path.extension() != ".spool") continue;
    auto name = parse_name(path);
    if (!name) {
      smbta::log::warning("spool {}: ignoring {} (not a segment name smbtad writes)", dir_.string(),
                          path.filename().string());
      continue;
    }
    segments_.push_back({path, name->first, std::move(name->second), 0});
  }
  // Sequence numbers grow across runs (each run starts above the newest segment left).
  std::sort(segments_.begin(), segments_.end(),
            [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  if (!segments_.empty()) next_seq_ = segments_.back().seq + 1;
  if (replayed && !segments_.empty())
    smbta::log::notice("spool {}: {} segment(s) from an earlier run will be stored", dir_.string(),
                       segments_.size());
}

void Spool::append(std::span<const smbta::store::Row> rows) {
  if (rows.empty()) return;
  const std::string data = serialize(rows);
  char name[48];
  std::snprintf(name, sizeof name, "%016llu-%s.spool", static_cast<unsigned long long>(next_seq_),
                generation_.c_str());
  const auto path = dir_ / name;
  const auto tmp = dir_ / (std::string(name) + ".tmp");
  smbta::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw std::runtime_error("spool " + tmp.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t w = ::write(fd.get(), data.data() + off, data.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::unlink(tmp.c_str());
      throw std::runtime_error("spool " + tmp.string() + ": " + std::strerror(err));
    }
    off += static_cast<std::size_t>(w);
  }
  if (::fdatasync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("spool " + path.string() + ": " + std::strerror(err));
  }
  segments_.push_back({path, next_seq_++, generation_, rows.size()});
  rows_ += rows.size();
}

std::optional<Spool::Segment> Spool::front() {
  while (!segments_.empty()) {
    const Entry& e = segments_.front();
    std::ifstream in(e.path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    Segment seg{e.seq, e.generation, {}};
    if (in && deserialize(ss.str(), seg.rows)) return seg;
    smbta::log::error(
        "spool segment {} is unreadable (truncated or damaged); moved aside as "
        ".corrupt",
        e.path.string());
    std::error_code ec;
    std::filesystem::rename(e.path, e.path.string() + ".corrupt", ec);
    rows_ -= std::min<std::uint64_t>(rows_, e.rows);
    segments_.erase(segments_.begin());
  }
  return std::nullopt;
}

bool Spool::pop_front() {
  if (segments_.empty()) return true;
  const Entry e = segments_.front();
  segments_.erase(segments_.begin());
  rows_ -= std::min<std::uint64_t>(rows_, e.rows);
  std::error_code ec;
  if (std::filesystem::remove(e.path, ec) || !ec) return true;
  smbta::log::error(
      "spool segment {} is stored but cannot be removed: {}; it is not stored again (the "
      "database records how far the replay got), but remove it by hand to free the space",
      e.path.string(), ec.message());
  return false;
}

}  // namespace smbtad
