// SPDX-License-Identifier: GPL-3.0-or-later
#include "torture.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include <fmt/format.h>

namespace smbta::torture {

namespace {
// The size of each read and write call: big enough to move data quickly, small enough that
// libsmbclient sends several SMB requests for a large file, as a real client does.
constexpr std::size_t kChunk = 64 * 1024;
}  // namespace

std::string share_name(const std::string& url) {
  std::string_view rest(url);
  rest.remove_prefix(std::min(rest.size(), std::string_view("smb://").size()));
  rest.remove_prefix(std::min(rest.size(), rest.find('/') + 1));
  return std::string(rest.substr(0, rest.find('/')));
}

Torture::Torture(const Options& o) : o_(o), buffer_(kChunk) {
  for (const auto& s : o.shares) share_names_.push_back(share_name(s));
  for (const auto& u : o.users)
    sessions_.push_back(std::make_unique<SmbSession>(u.user, u.password, o.workgroup, o.smb_port));
  // Written data is random (not zeros, which a compressing file system or transport would make
  // cheaper than real data), and initialised.
  std::mt19937 fill(12345);
  for (auto& c : buffer_) c = static_cast<char>(fill());
}

std::string Torture::url(std::size_t share, const std::string& path) const {
  std::string base = o_.shares[share];
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + path;
}

void Torture::say(const std::string& what) const {
  if (o_.verbose) std::fprintf(stderr, "smbtatorture: %s\n", what.c_str());
}

void Torture::pause(std::uint32_t ms, const std::function<bool()>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
  }
}

void Torture::carry_out(const Action& a) {
  SmbSession& s = *sessions_[a.user];
  const std::string& user = s.user();
  const std::string src = url(a.share, a.path);
  switch (a.kind) {
    case ActionKind::kMkdir:
      say(fmt::format("{}: mkdir {}{}", user, src, s.mkdir(src) ? "" : " (exists)"));
      break;
    case ActionKind::kWrite: {
      SmbFile f = s.open(src, O_WRONLY | O_CREAT | O_TRUNC);
      for (std::uint64_t left = a.size; left > 0;) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, kChunk));
        f.write_all(std::span<const char>(buffer_.data(), n));
        tally_.add_written(user, share_names_[a.share], n);
        left -= n;
      }
      f.close();
      say(fmt::format("{}: wrote {} bytes to {}", user, a.size, src));
      break;
    }
    case ActionKind::kRead:
    case ActionKind::kCopy: {
      SmbFile in = s.open(src, O_RDONLY);
      std::optional<SmbFile> out;
      const std::string dst = a.kind == ActionKind::kCopy ? url(a.to_share, a.to_path) : "";
      if (a.kind == ActionKind::kCopy) out.emplace(s.open(dst, O_WRONLY | O_CREAT | O_TRUNC));
      std::uint64_t moved = 0;
      while (const auto n = in.read(buffer_)) {
        tally_.add_read(user, share_names_[a.share], n);
        if (out) {
          out->write_all(std::span<const char>(buffer_.data(), n));
          tally_.add_written(user, share_names_[a.to_share], n);
        }
        moved += n;
      }
      in.close();
      if (out) out->close();
      say(out ? fmt::format("{}: copied {} ({} bytes) to {}", user, src, moved, dst)
              : fmt::format("{}: read {} ({} bytes)", user, src, moved));
      break;
    }
    case ActionKind::kRename: {
      const std::string dst = url(a.share, a.to_path);
      s.rename(src, dst);
      say(fmt::format("{}: renamed {} to {}", user, src, dst));
      break;
    }
    case ActionKind::kDelete:
      s.unlink(src);
      say(fmt::format("{}: deleted {}", user, src));
      break;
  }
  tally_.count(a.kind);
}

void Torture::run(ActionSource& source, RunRecorder* recorder, std::uint64_t seed,
                  const std::function<bool()>& stop) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::optional<Clock::time_point> stage2_start;
  std::uint64_t stage2 = 0;
  const auto finish = [&](bool complete) {
    const auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
    tally_.set_run(seed, seconds, stage2, complete);
  };
  try {
    while (!stop()) {
      auto a = source.next();
      if (!a) break;
      if (source.in_stage2()) {
        if (!stage2_start) {
          stage2_start = Clock::now();
          say("the files are on the shares; now the torture");
          if (recorder) recorder->mark_stage2();
        }
        if (o_.count != 0 && stage2 >= o_.count) break;
        if (o_.duration_s > 0 &&
            std::chrono::duration<double>(Clock::now() - *stage2_start).count() >= o_.duration_s)
          break;
        ++stage2;
      }
      if (recorder) recorder->write(*a);
      carry_out(*a);
      if (a->pause_ms > 0) pause(a->pause_ms, stop);
    }
  } catch (...) {
    finish(false);
    throw;
  }
  if (recorder) recorder->finish();
  finish(true);
}

}  // namespace smbta::torture
