// SPDX-License-Identifier: GPL-3.0-or-later
#include "action.h"

namespace smbta::torture {

std::string_view kind_name(ActionKind kind) {
  switch (kind) {
    case ActionKind::kMkdir:
      return "mkdir";
    case ActionKind::kWrite:
      return "write";
    case ActionKind::kRead:
      return "read";
    case ActionKind::kCopy:
      return "copy";
    case ActionKind::kRename:
      return "rename";
    case ActionKind::kDelete:
      return "delete";
  }
  return "?";
}

std::optional<ActionKind> kind_from_name(std::string_view name) {
  for (auto k : kAllKinds)
    if (kind_name(k) == name) return k;
  return std::nullopt;
}

}  // namespace smbta::torture
