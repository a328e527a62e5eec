// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/command_line.h"

#include <stdlib.h>

#include <cstdlib>

namespace smbta::testing {

Args::Args(std::initializer_list<std::string> words) : words_(words) {
  words_.insert(words_.begin(), "prog");
  for (auto& w : words_) ptrs_.push_back(w.data());
  ptrs_.push_back(nullptr);
}

TempHome::TempHome() {
  if (const char* old = std::getenv("HOME")) old_ = old;
  ::setenv("HOME", dir_.path().c_str(), 1);
}

TempHome::~TempHome() {
  if (old_)
    ::setenv("HOME", old_->c_str(), 1);
  else
    ::unsetenv("HOME");
}

}  // namespace smbta::testing
