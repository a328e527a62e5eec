// SPDX-License-Identifier: GPL-3.0-or-later
// Object resolution: a step's filter (users, shares, files, domains, times) in database ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "query/exec_context.h"
#include "query/plan.h"

namespace smbta::query {

// Why: the SQL of every function restricts by ids, not names; resolving once per step also
// lets identification (QueryOptions::identify) reject unknown or ambiguous names before the
// function's statements run. nullopt = no restriction; an empty vector = nothing matches.
struct Resolved {
  std::optional<std::vector<std::int64_t>> users, shares, files;
  TimeRange range;
  bool empty = false;
};

// Looks the filter's objects up and intersects them. Throws QueryError (kNoSuchObject,
// kAmbiguous) when identification is on and a name denotes nothing or several objects.
Resolved resolve(ExecContext& ctx, const Filter& f);

// The filter as the titles say it ("by user holger on share pool since 2024-01-02 00:00:00").
std::string filter_phrase(const Filter& f);

// The sorted, distinct ids of `b` that the sorted `a` admits (all when `a` is no restriction).
std::vector<std::int64_t> intersect(const std::optional<std::vector<std::int64_t>>& a,
                                    std::vector<std::int64_t> b);

// A timestamp to the second, as titles and notes show it.
std::string ts_text(std::int64_t ms);

}  // namespace smbta::query
