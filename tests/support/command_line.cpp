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

ScopedEnv::ScopedEnv(const char* name, const std::string& value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old;
  ::setenv(name, value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (old_)
    ::setenv(name_, old_->c_str(), 1);
  else
    ::unsetenv(name_);
}

}  // namespace smbta::testing
