// SPDX-License-Identifier: GPL-3.0-or-later
// Where a run's actions come from: drawn at random, or read back from a recorded run.
#pragma once

#include <optional>

#include "action.h"

namespace smbta::torture {

// Why: the executor pulls actions one at a time, so that a run without a count limit never
// holds its whole script in memory, and a new and a replayed run go through the same loop.
class ActionSource {
 public:
  virtual ~ActionSource() = default;
  // The next action; nullopt when the source has no more (a recorded run's end).
  virtual std::optional<Action> next() = 0;
  // Whether the action next() returned last is past the set-up (directories and first files):
  // the count and time limits count only those.
  virtual bool in_stage2() const = 0;
};

}  // namespace smbta::torture
