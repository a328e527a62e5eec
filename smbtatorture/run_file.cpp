// SPDX-License-Identifier: GPL-3.0-or-later
#include "run_file.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace smbta::torture {

namespace {

constexpr std::string_view kMagic = "smbtatorture-run 1";

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// A path as the random script makes them: relative, no "..", no blanks, '\' or '%'.
bool plausible_path(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.find("..") != std::string::npos) return false;
  for (unsigned char c : p)
    if (c <= ' ' || c == 0x7f || c == '\\' || c == '%') return false;
  return true;
}

}  // namespace

RunRecorder::RunRecorder(const std::string& path, std::size_t users, std::size_t shares,
                         std::uint64_t seed)
    : path_(path), out_(path, std::ios::trunc) {
  if (!out_)
    throw RunFileError(
        fmt::format("cannot create the record file {}: {}", path, std::strerror(errno)));
  out_ << kMagic << "\nusers " << users << "\nshares " << shares << "\nseed " << seed << '\n';
  flush_or_throw();
}

void RunRecorder::flush_or_throw() {
  out_.flush();
  if (!out_) throw RunFileError(fmt::format("cannot write the record file {}", path_));
}

void RunRecorder::write(const Action& a) {
  out_ << kind_name(a.kind) << ' ' << a.user << ' ' << a.share << ' ' << a.path;
  switch (a.kind) {
    case ActionKind::kWrite:
      out_ << ' ' << a.size;
      break;
    case ActionKind::kCopy:
      out_ << ' ' << a.to_share << ' ' << a.to_path;
      break;
    case ActionKind::kRename:
      out_ << ' ' << a.to_path;
      break;
    default:
      break;
  }
  out_ << ' ' << a.pause_ms << '\n';
  flush_or_throw();
}

void RunRecorder::mark_stage2() {
  out_ << "torture\n";
  flush_or_throw();
}

void RunRecorder::finish() {
  out_ << "end\n";
  flush_or_throw();
}

RunReplayer::RunReplayer(const std::string& path, std::size_t users, std::size_t shares)
    : path_(path), in_(path), users_(users), shares_(shares) {
  if (!in_)
    throw RunFileError(
        fmt::format("cannot open the replay file {}: {}", path, std::strerror(errno)));
  std::string line;
  const auto header = [&](std::string_view key) -> std::uint64_t {
    ++line_no_;
    if (!std::getline(in_, line)) fail("ends inside its header");
    const auto w = split(line);
    std::uint64_t v = 0;
    if (w.size() != 2 || w[0] != key ||
        std::from_chars(w[1].data(), w[1].data() + w[1].size(), v).ptr != w[1].data() + w[1].size())
      fail(fmt::format("expected '{} NUMBER', got '{}'", key, line));
    return v;
  };
  ++line_no_;
  if (!std::getline(in_, line) || line != kMagic)
    fail(fmt::format("is not a smbtatorture record file (its first line is not '{}')", kMagic));
  if (const auto u = header("users"); u != users)
    fail(fmt::format("was recorded with {} users; give as many -u (got {})", u, users));
  if (const auto s = header("shares"); s != shares)
    fail(fmt::format("was recorded with {} shares; give as many of -1/-2 (got {})", s, shares));
  seed_ = header("seed");
}

void RunReplayer::fail(const std::string& why) const {
  throw RunFileError(fmt::format("{}:{}: {}", path_, line_no_, why));
}

std::optional<Action> RunReplayer::next() {
  if (ended_) return std::nullopt;
  std::string line;
  while (true) {
    ++line_no_;
    if (!std::getline(in_, line)) {
      // A run stopped by a signal or an error has no "end": replay up to where it stopped.
      ended_ = true;
      return std::nullopt;
    }
    if (line == "torture") {
      stage2_ = true;
      continue;
    }
    if (line == "end") {
      ended_ = true;
      return std::nullopt;
    }
    break;
  }
  const auto w = split(line);
  const auto kind = w.empty() ? std::nullopt : kind_from_name(w[0]);
  if (!kind) fail(fmt::format("unknown action '{}'", line));
  std::size_t want = 5;  // kind user share path pause
  if (*kind == ActionKind::kWrite || *kind == ActionKind::kRename) want = 6;
  if (*kind == ActionKind::kCopy) want = 7;
  if (w.size() != want) fail(fmt::format("expected {} fields, got '{}'", want, line));
  const auto number = [&](const std::string& s, std::uint64_t max) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > max)
      fail(fmt::format("'{}' is not a number from 0 to {}", s, max));
    return v;
  };
  const auto path = [&](const std::string& s) {
    if (!plausible_path(s)) fail(fmt::format("'{}' is not a relative path without blanks", s));
    return s;
  };
  Action a;
  a.kind = *kind;
  a.user = number(w[1], users_ - 1);
  a.share = number(w[2], shares_ - 1);
  a.path = path(w[3]);
  switch (a.kind) {
    case ActionKind::kWrite:
      a.size = number(w[4], 1ULL << 40);
      break;
    case ActionKind::kCopy:
      a.to_share = number(w[4], shares_ - 1);
      a.to_path = path(w[5]);
      break;
    case ActionKind::kRename:
      a.to_path = path(w[4]);
      break;
    default:
      break;
  }
  a.pause_ms = static_cast<std::uint32_t>(number(w.back(), 3600 * 1000));
  return a;
}

}  // namespace smbta::torture
