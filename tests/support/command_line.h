// SPDX-License-Identifier: GPL-3.0-or-later
// Test helpers for option parsers: an argv to hand them and a private $HOME for their files.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace smbta::testing {

// Why: getopt wants mutable C strings that outlive the call; "prog" stands in for argv[0].
class Args {
 public:
  Args(std::initializer_list<std::string> words) : words_(words) {
    words_.insert(words_.begin(), "prog");
    for (auto& w : words_) ptrs_.push_back(w.data());
    ptrs_.push_back(nullptr);
  }
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
  TempHome() {
    if (const char* old = std::getenv("HOME")) old_ = old;
    std::string tmpl = "/tmp/smbta-home-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    ::setenv("HOME", dir_.c_str(), 1);
  }
  ~TempHome() {
    if (old_)
      ::setenv("HOME", old_->c_str(), 1);
    else
      ::unsetenv("HOME");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempHome(const TempHome&) = delete;
  TempHome& operator=(const TempHome&) = delete;

  const std::filesystem::path& path() const { return dir_; }

 private:
  std::optional<std::string> old_;
  std::filesystem::path dir_;
};

}  // namespace smbta::testing
