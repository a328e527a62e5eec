// SPDX-License-Identifier: GPL-3.0-or-later
// Reading and writing whole files, and scratch directories that clean up after themselves.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace smbta::testing {

// The bytes of `path`, or "" when it cannot be read (a child that never wrote its output).
std::string read_file(const std::filesystem::path& path);
// Replaces `path` with `data`, byte for byte.
void write_file(const std::filesystem::path& path, std::string_view data);

// Why: every test needs a private directory (HOME, databases, spools, child output) that is gone
// afterwards, also when the test fails. Mode 0711: PostgreSQL's user may pass through to a
// cluster inside, but can read nothing of smbtad's root-owned files.
class TempDir {
 public:
  // Creates /tmp/<prefix>-XXXXXX.
  explicit TempDir(std::string_view prefix = "smbta-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace smbta::testing
