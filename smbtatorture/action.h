// SPDX-License-Identifier: GPL-3.0-or-later
// One step of a torture run: what to do, as which user, on which share and path.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smbta::torture {

enum class ActionKind { kMkdir, kWrite, kRead, kCopy, kRename, kDelete };
inline constexpr std::array<ActionKind, 6> kAllKinds = {ActionKind::kMkdir,  ActionKind::kWrite,
                                                        ActionKind::kRead,   ActionKind::kCopy,
                                                        ActionKind::kRename, ActionKind::kDelete};

// The word of a kind in the record file and the report.
std::string_view kind_name(ActionKind kind);
std::optional<ActionKind> kind_from_name(std::string_view name);

// Why: the random script and a replayed file produce the same thing, so that the executor
// does not know (and cannot behave differently) whether a run is new or replayed. Everything
// a step needs is in it, also the pause, so that a replay is the same run.
struct Action {
  ActionKind kind = ActionKind::kRead;
  std::size_t user = 0;      // index into Options::users
  std::size_t share = 0;     // index into Options::shares (the source of a copy)
  std::string path;          // relative to the share's root
  std::size_t to_share = 0;  // kCopy: the target's share
  std::string to_path;       // kCopy: the target; kRename: the new name
  std::uint64_t size = 0;    // kWrite: bytes written
  std::uint32_t pause_ms = 0;
};

}  // namespace smbta::torture
