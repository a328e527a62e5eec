// SPDX-License-Identifier: GPL-3.0-or-later
// smbtaquery's exit statuses (smbtaquery(1)) and how query errors map onto them.
#pragma once

#include "query/engine.h"

namespace smbtaquery {

// Why: scripts tell a typo from a dead database by these; main and the query action both
// produce them, so they are defined once.
inline constexpr int kOk = 0, kUsage = 1, kDatabase = 2, kNoObject = 3;

inline int exit_code(smbta::query::QueryError::Kind k) {
  using Kind = smbta::query::QueryError::Kind;
  switch (k) {
    case Kind::kSyntax:
      return kUsage;
    case Kind::kDatabase:
      return kDatabase;
    case Kind::kNoSuchObject:
    case Kind::kAmbiguous:
      return kNoObject;
  }
  return kDatabase;
}

}  // namespace smbtaquery
