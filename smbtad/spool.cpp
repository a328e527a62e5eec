// SPDX-License-Identifier: GPL-3.0-or-later
#include "spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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

constexpr std::string_view kMagic = "SMBTASPOOL1\n";

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

}  // namespace

std::string Spool::serialize(std::span<const smbta::store::Row> rows) {
  // Each row: merged, accumulate, bucket start, bucket width, body length, V2 body. The body
  // reuses the protocol codec, so what is spooled is exactly what was received.
  std::string out(kMagic);
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
  return out;
}

bool Spool::deserialize(std::string_view in, std::vector<smbta::store::Row>& out) {
  if (!in.starts_with(kMagic)) return false;
  in.remove_prefix(kMagic.size());
  while (!in.empty()) {
    std::uint64_t merged, acc, start, width, len;
    if (!get_u64(in, merged) || !get_u64(in, acc) || !get_u64(in, start) || !get_u64(in, width) ||
        !get_u64(in, len) || len > in.size())
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

Spool::Spool(std::filesystem::path dir, bool replayed) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (e.path().extension() == ".spool") segments_.push_back(e.path());
  }
  std::sort(segments_.begin(), segments_.end());  // names are zero-padded sequence numbers
  for (const auto& p : segments_) {
    next_seq_ = std::max<std::uint64_t>(next_seq_, std::stoull(p.stem().string()) + 1);
    counts_.push_back(0);  // unknown until read; rows() counts what this process spooled
  }
  if (replayed && !segments_.empty())
    smbta::log::notice("spool {}: {} segment(s) from an earlier run will be stored", dir_.string(),
                       segments_.size());
}

void Spool::append(std::span<const smbta::store::Row> rows) {
  if (rows.empty()) return;
  const std::string data = serialize(rows);
  char name[32];
  std::snprintf(name, sizeof name, "%016llu.spool", static_cast<unsigned long long>(next_seq_++));
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
  segments_.push_back(path);
  counts_.push_back(rows.size());
  rows_ += rows.size();
}

std::optional<std::vector<smbta::store::Row>> Spool::front() {
  while (!segments_.empty()) {
    std::ifstream in(segments_.front(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<smbta::store::Row> rows;
    if (in && deserialize(ss.str(), rows)) return rows;
    smbta::log::error("spool segment {} is unreadable; moved aside as .corrupt",
                      segments_.front().string());
    std::error_code ec;
    std::filesystem::rename(segments_.front(), segments_.front().string() + ".corrupt", ec);
    segments_.erase(segments_.begin());
    counts_.erase(counts_.begin());
  }
  return std::nullopt;
}

void Spool::pop_front() {
  if (segments_.empty()) return;
  std::error_code ec;
  std::filesystem::remove(segments_.front(), ec);
  rows_ -= std::min<std::uint64_t>(rows_, counts_.front());
  segments_.erase(segments_.begin());
  counts_.erase(counts_.begin());
}

}  // namespace smbtad
