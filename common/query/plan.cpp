// SPDX-License-Identifier: GPL-3.0-or-later
// The names that results and titles give to plan values (modes, dimensions).
#include "query/plan.h"

namespace smbta::query {

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::kRead:
      return "r";
    case Mode::kWrite:
      return "w";
    case Mode::kReadWrite:
      return "rw";
  }
  return "rw";
}

std::string_view dimension_name(Dimension d) {
  switch (d) {
    case Dimension::kUsers:
      return "users";
    case Dimension::kShares:
      return "shares";
    case Dimension::kFiles:
      return "files";
    case Dimension::kDomains:
      return "domains";
  }
  return "users";
}

}  // namespace smbta::query
