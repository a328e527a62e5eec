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

// Why: the parsers read $HOME/.smbtatools/smbtatools.config; a fresh empty HOME keeps the
// developer's own config out of the tests. Restores HOME and removes the directory on exit.
class TempHome {
 public:
  TempHome();
  ~TempHome();
  TempHome(const TempHome&) = delete;
  TempHome& operator=(const TempHome&) = delete;

  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  std::optional<std::string> old_;
  TempDir dir_{"smbta-home"};
};

}  // namespace smbta::testing
