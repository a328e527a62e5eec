// SPDX-License-Identifier: GPL-3.0-or-later
#include "random_script.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

namespace smbta::torture {

namespace {

// Directories and names of an office file server, as the 1.2.x tool drew from its lists, built
// in so that nothing has to be installed beside the program.
constexpr std::array<std::string_view, 6> kDirs = {
    "office/data", "users/shared/doc", "projects/y2026", "srv1/work/space", "scans", "archive/old"};
constexpr std::array<std::string_view, 8> kNames = {
    "personal_notes.doc", "budget.xls", "csvtest.csv", "minutes.txt",
    "diagram.png",        "report.pdf", "backup.tar",  "letter.odt"};

// Stage 2's mix: mostly reads and copies, as on a file server, with enough writes, renames
// and deletes to change the file set.
struct Weight {
  ActionKind kind;
  unsigned weight;
};
constexpr std::array<Weight, 5> kMix = {Weight{ActionKind::kRead, 30},
                                        {ActionKind::kCopy, 25},
                                        {ActionKind::kWrite, 20},
                                        {ActionKind::kRename, 10},
                                        {ActionKind::kDelete, 15}};

}  // namespace

RandomScript::RandomScript(Params p)
    : p_(std::move(p)),
      rng_(p_.seed),
      slots_(p_.users.size(), std::vector<Slots>(p_.shares, Slots(p_.files))),
      name_counter_(p_.users.size(), 0) {
  plan_setup();
}

std::uint64_t RandomScript::below(std::uint64_t n) {
  if (n <= 1) return 0;
  return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
}

std::uint32_t RandomScript::draw_pause() {
  const auto max_ms = static_cast<std::uint64_t>(p_.max_pause_s * 1000.0);
  return static_cast<std::uint32_t>(below(max_ms + 1));
}

std::uint64_t RandomScript::draw_write_size() {
  // Up to twice a file's average size, so that a user's volume stays about -s per share.
  return below(2 * (p_.total_size / p_.files) + 2);
}

std::string RandomScript::fresh_name(std::size_t user) {
  const auto dir = kDirs[below(kDirs.size())];
  const std::string_view name = kNames[below(kNames.size())];
  const auto dot = name.rfind('.');
  return fmt::format("{}-{}/{}/{}-{}{}", p_.prefix, p_.users[user], dir, name.substr(0, dot),
                     name_counter_[user]++, name.substr(dot));
}

void RandomScript::plan_setup() {
  for (std::size_t s = 0; s < p_.shares; ++s) {
    for (std::size_t u = 0; u < p_.users.size(); ++u) {
      // PREFIX-USER at the top of the share, not PREFIX/USER: a directory one user creates is
      // not writable by the others on a server with the usual masks.
      const auto base = fmt::format("{}-{}", p_.prefix, p_.users[u]);
      setup_.push_back({{ActionKind::kMkdir, u, s, base, 0, {}, 0, 0}, 0});
      std::vector<std::string> made;
      for (auto dir : kDirs) {
        // Each level of the directory: mkdir of an existing one is harmless but is traffic.
        std::string path = base;
        for (std::size_t pos = 0; pos <= dir.size();) {
          const auto slash = std::min(dir.find('/', pos), dir.size());
          path = fmt::format("{}/{}", base, dir.substr(0, slash));
          if (std::find(made.begin(), made.end(), path) == made.end()) {
            made.push_back(path);
            setup_.push_back({{ActionKind::kMkdir, u, s, path, 0, {}, 0, 0}, 0});
          }
          pos = slash + 1;
        }
      }
    }
  }
  // The files: a user's total split at n-1 random points, written to the first share and
  // copied to the second, so that both start with the same set (1.2.x left the second empty).
  for (std::size_t u = 0; u < p_.users.size(); ++u) {
    std::vector<std::uint64_t> cuts{0, p_.total_size};
    for (std::uint64_t i = 1; i < p_.files; ++i) cuts.push_back(below(p_.total_size + 1));
    std::sort(cuts.begin(), cuts.end());
    for (std::uint64_t i = 0; i < p_.files; ++i) {
      Action w{ActionKind::kWrite, u, 0, fresh_name(u), 0, {}, cuts[i + 1] - cuts[i], 0};
      setup_.push_back({w, 0});
      for (std::size_t s = 1; s < p_.shares; ++s)
        setup_.push_back({{ActionKind::kCopy, u, 0, w.path, s, w.path, 0, 0}, i});
    }
  }
}

RandomScript::Step RandomScript::draw() {
  Step step;
  Action& a = step.action;
  a.user = below(p_.users.size());
  a.share = below(p_.shares);
  a.pause_ms = draw_pause();
  unsigned total = 0;
  for (const auto& w : kMix) total += w.weight;
  auto pick = below(total);
  for (const auto& w : kMix) {
    if (pick < w.weight) {
      a.kind = w.kind;
      break;
    }
    pick -= w.weight;
  }
  const auto slot = below(p_.files);
  auto& here = slots_[a.user][a.share][slot];
  if (!here) a.kind = ActionKind::kWrite;  // nothing to read, copy, rename or delete: create
  switch (a.kind) {
    case ActionKind::kWrite:
      a.path = here ? here->path : fresh_name(a.user);
      a.size = draw_write_size();
      break;
    case ActionKind::kRead:
    case ActionKind::kDelete:
      a.path = here->path;
      break;
    case ActionKind::kRename:
      a.path = here->path;
      a.to_path = fresh_name(a.user);
      break;
    case ActionKind::kCopy: {
      a.path = here->path;
      // To the same slot on the other share; with one share, to another slot of it.
      a.to_share = p_.shares > 1 ? (a.share + 1 + below(p_.shares - 1)) % p_.shares : a.share;
      auto to_slot = slot;
      if (p_.shares == 1) {
        if (p_.files == 1) {
          a.kind = ActionKind::kRead;
          break;
        }
        to_slot = (slot + 1 + below(p_.files - 1)) % p_.files;
      }
      const auto& there = slots_[a.user][a.to_share][to_slot];
      a.to_path = there ? there->path : fresh_name(a.user);
      step.to_slot = to_slot;
      break;
    }
    case ActionKind::kMkdir:
      break;
  }
  return step;
}

// Keeps the model in step with what the action does on the server.
void RandomScript::apply(const Step& step) {
  const Action& a = step.action;
  auto find = [&](std::size_t share, const std::string& path) -> std::optional<File>* {
    for (auto& f : slots_[a.user][share])
      if (f && f->path == path) return &f;
    return nullptr;
  };
  switch (a.kind) {
    case ActionKind::kMkdir:
    case ActionKind::kRead:
      break;
    case ActionKind::kWrite:
      if (auto* f = find(a.share, a.path)) {
        (*f)->size = a.size;
      } else {
        for (auto& slot : slots_[a.user][a.share])
          if (!slot) {
            slot = File{a.path, a.size};
            break;
          }
      }
      break;
    case ActionKind::kCopy: {
      const auto* src = find(a.share, a.path);
      slots_[a.user][a.to_share][step.to_slot] = File{a.to_path, src ? (*src)->size : 0};
      break;
    }
    case ActionKind::kRename:
      if (auto* f = find(a.share, a.path)) (*f)->path = a.to_path;
      break;
    case ActionKind::kDelete:
      if (auto* f = find(a.share, a.path)) f->reset();
      break;
  }
}

std::optional<Action> RandomScript::next() {
  Step step;
  if (!setup_.empty()) {
    step = std::move(setup_.front());
    setup_.pop_front();
  } else {
    stage2_ = true;
    step = draw();
  }
  apply(step);
  return std::move(step.action);
}

}  // namespace smbta::torture
