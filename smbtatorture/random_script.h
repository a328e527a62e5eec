// SPDX-License-Identifier: GPL-3.0-or-later
// A new run's actions, drawn from a seeded generator over a model of each user's files.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "action_source.h"

namespace smbta::torture {

// Why: an action must only name files that exist (a read of a deleted file would be an error,
// not traffic), so the script keeps what each user has on each share and picks from that. The
// generator is seeded (the seed is printed and recorded) so that a run can be told apart from
// a bug in the tool.
class RandomScript : public ActionSource {
 public:
  struct Params {
    std::vector<std::string> users;  // names: each user's files are under PREFIX-USER/
    std::size_t shares = 1;
    std::uint64_t files = 20;
    std::uint64_t total_size = 900000;
    double max_pause_s = 0;
    std::string prefix;
    std::uint64_t seed = 0;
  };
  explicit RandomScript(Params p);

  std::optional<Action> next() override;
  bool in_stage2() const override { return stage2_; }

 private:
  struct File {
    std::string path;
    std::uint64_t size = 0;
  };
  // slots_[user][share][slot]
  using Slots = std::vector<std::optional<File>>;

  // An action and, for a copy, the slot of the target.
  struct Step {
    Action action;
    std::size_t to_slot = 0;
  };
  void plan_setup();
  std::string fresh_name(std::size_t user);
  std::uint32_t draw_pause();
  std::uint64_t draw_write_size();
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n)
  Step draw();
  void apply(const Step& s);

  Params p_;
  std::mt19937_64 rng_;
  std::vector<std::vector<Slots>> slots_;
  std::deque<Step> setup_;
  std::vector<std::uint64_t> name_counter_;
  bool stage2_ = false;
};

}  // namespace smbta::torture
