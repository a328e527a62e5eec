// SPDX-License-Identifier: GPL-3.0-or-later
// What a run did: bytes read and written per user and share, actions per kind; as text and JSON.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "action.h"

namespace smbta::torture {

// Why: the report a test compares with smbtaquery's to the byte, so it counts the bytes the
// SMB calls returned (what smbd read and wrote for this client), not the sizes planned.
class Tally {
 public:
  struct Bytes {
    std::uint64_t read = 0;
    std::uint64_t written = 0;
  };
  void add_read(const std::string& user, const std::string& share, std::uint64_t n);
  void add_written(const std::string& user, const std::string& share, std::uint64_t n);
  void count(ActionKind kind) { ++ops_[static_cast<std::size_t>(kind)]; }
  void set_run(std::uint64_t seed, double seconds, std::uint64_t stage2_actions, bool complete);

  std::uint64_t ops(ActionKind kind) const { return ops_[static_cast<std::size_t>(kind)]; }
  const std::map<std::pair<std::string, std::string>, Bytes>& bytes() const { return bytes_; }
  Bytes total() const;

  std::string text() const;
  std::string json() const;

 private:
  std::map<std::pair<std::string, std::string>, Bytes> bytes_;  // (user, share)
  std::array<std::uint64_t, kAllKinds.size()> ops_{};
  std::uint64_t seed_ = 0;
  double seconds_ = 0;
  std::uint64_t stage2_actions_ = 0;
  bool complete_ = true;
};

}  // namespace smbta::torture
