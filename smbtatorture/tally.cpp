// SPDX-License-Identifier: GPL-3.0-or-later
#include "tally.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace smbta::torture {

void Tally::add_read(const std::string& user, const std::string& share, std::uint64_t n) {
  bytes_[{user, share}].read += n;
}

void Tally::add_written(const std::string& user, const std::string& share, std::uint64_t n) {
  bytes_[{user, share}].written += n;
}

void Tally::set_run(std::uint64_t seed, double seconds, std::uint64_t stage2_actions,
                    bool complete) {
  seed_ = seed;
  seconds_ = seconds;
  stage2_actions_ = stage2_actions;
  complete_ = complete;
}

Tally::Bytes Tally::total() const {
  Bytes t;
  for (const auto& [key, b] : bytes_) {
    t.read += b.read;
    t.written += b.written;
  }
  return t;
}

std::string Tally::text() const {
  std::string out =
      fmt::format("smbtatorture: {} actions after the set-up in {:.3f} s (seed {}){}\n",
                  stage2_actions_, seconds_, seed_, complete_ ? "" : ", stopped by an error");
  out += "operations:";
  for (auto k : kAllKinds) out += fmt::format(" {} {}", kind_name(k), ops(k));
  out += "\n";
  for (const auto& [key, b] : bytes_)
    out += fmt::format("user {} share {}: read {} bytes, written {} bytes\n", key.first, key.second,
                       b.read, b.written);
  const auto t = total();
  out += fmt::format("total: read {} bytes, written {} bytes\n", t.read, t.written);
  return out;
}

std::string Tally::json() const {
  nlohmann::ordered_json j;
  j["seed"] = seed_;
  j["seconds"] = seconds_;
  j["actions"] = stage2_actions_;
  j["complete"] = complete_;
  auto& ops_j = j["operations"];
  ops_j = nlohmann::ordered_json::object();
  for (auto k : kAllKinds) ops_j[std::string(kind_name(k))] = ops(k);
  auto& rows = j["bytes"];
  rows = nlohmann::ordered_json::array();
  for (const auto& [key, b] : bytes_)
    rows.push_back(
        {{"user", key.first}, {"share", key.second}, {"read", b.read}, {"written", b.written}});
  const auto t = total();
  j["total"] = {{"read", t.read}, {"written", t.written}};
  return j.dump(2) + "\n";
}

}  // namespace smbta::torture
