// SPDX-License-Identifier: GPL-3.0-or-later
// Test helpers for option parsers: an argv to hand them and a private $HOME for their files.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "support/files.h"

namespace smbta::testing {

// Why: getopt wants mutable C strings that outlive the call; "prog" stands in for argv[0].
class Args {
 public:
  Args(std::initializer_list<std::string> words);
  int argc() { return static_cast<int>(words_.size()); }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<char*> ptrs_;
};

// Why: tests set variables for the code under test and the children they start (HOME,
// ASAN_OPTIONS); the old value, or its absence, comes back when the scope ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Why: the parsers read $HOME/.smbtatools/smbtatools.config; a fresh empty HOME keeps the
// developer's own config out of the tests. Restores HOME and removes the directory on exit.
class TempHome {
 public:
  TempHome() = default;

  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  TempDir dir_{"smbta-home"};
  ScopedEnv home_{"HOME", dir_.path().string()};
};

}  // namespace smbta::testing
