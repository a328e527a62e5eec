// SPDX-License-Identifier: GPL-3.0-or-later
// The record file (-r) of a run and reading it back (-e): one action per line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include "action_source.h"

namespace smbta::torture {

// Why: a replay file that is cut short, edited by hand or from another version must stop the
// run before it does anything, naming the file and line, not send odd SMB requests.
class RunFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file starts with "smbtatorture-run 1", "users N", "shares N" and "seed S"; then one line
// per action ("write USER SHARE PATH SIZE PAUSE_MS", ...), "torture" where the set-up ends,
// and "end" once the run is over. Users and shares are indexes into the command line's -u and
// -1/-2, so that a run recorded against one server can be replayed against another.
//
// Why: writes each action before it is carried out and flushes, so that a run stopped by a
// signal or an error still leaves a file that replays up to where it stopped.
class RunRecorder {
 public:
  RunRecorder(const std::string& path, std::size_t users, std::size_t shares, std::uint64_t seed);
  void write(const Action& a);
  void mark_stage2();
  void finish();

 private:
  void flush_or_throw();
  std::string path_;
  std::ofstream out_;
};

// Why: replays a recorded run through the same executor as a new one (ActionSource).
class RunReplayer : public ActionSource {
 public:
  // Checks the header against the command line's numbers of users and shares.
  RunReplayer(const std::string& path, std::size_t users, std::size_t shares);
  std::optional<Action> next() override;
  bool in_stage2() const override { return stage2_; }
  std::uint64_t seed() const { return seed_; }

 private:
  [[noreturn]] void fail(const std::string& why) const;
  std::string path_;
  std::ifstream in_;
  std::size_t line_no_ = 0;
  std::size_t users_, shares_;
  std::uint64_t seed_ = 0;
  bool stage2_ = false;
  bool ended_ = false;
};

}  // namespace smbta::torture
