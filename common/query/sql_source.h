// SPDX-License-Identifier: GPL-3.0-or-later
// SQL sources of the functions: R/W traffic from raw events or rollups, with the range split.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "query/exec_context.h"
#include "query/plan.h"
#include "query/resolve.h"
#include "store/rollup.h"

namespace smbta::query {

inline constexpr std::int64_t kHourMs = 3'600'000;
inline constexpr std::int64_t kDayMs = 86'400'000;

// a / b rounded toward negative infinity (times before 1970 are negative).
std::int64_t floor_div(std::int64_t a, std::int64_t b);

// Splits r's range: whole `unit`s (ms) from `rollup` (a SELECT on alias r whose time column is
// `col`, in units since the epoch), the partial units at the edges from `raw(from, to)`.
std::string split_range(const Resolved& r, std::int64_t unit, const char* col, std::string rollup,
                        const std::function<std::string(std::int64_t, std::int64_t)>& raw);

// The condition on smbta_events alias `e` that selects the operations of `m`.
std::string raw_kind(Mode m);

// Restrictions of `r` on table alias `a` (ids only; time is added by the callers).
std::string id_conditions(const Resolved& r, std::string_view a, bool with_files);

// The half-open time range [from, to) on smbta_events alias `e` (kNo*Bound: open).
std::string raw_time(std::int64_t from, std::int64_t to);

// A derived table (h = hour index, user_id, share_id, bytes, recs) of the R/W traffic that
// `r` selects, with the rollups of `ctx` and in its SQL dialect: whole hours from the hourly rollup
// when installed, partial hours at the edges from the events (all from the events when `r` names
// files).
std::string byte_source(const Resolved& r, Mode m, const ExecContext& ctx);

// A derived table (file_id (0: none), share_id, user_id, bytes) of the R/W traffic that `r`
// selects: whole days from the file rollup when installed, partial days at the edges from the
// events.
std::string file_source(const Resolved& r, Mode m, const ExecContext& ctx);

// Whether the all-time file totals answer `r`'s file question: installed, no time bound and no
// user (the totals have neither).
bool file_totals_answer(const Resolved& r, const ExecContext& ctx);

// The file totals' condition selecting the rows of mode `m` and of `r`'s shares and files, on
// alias `t` (file_totals_answer(r, ctx) must hold).
std::string file_totals_where(const Resolved& r, Mode m);

// A derived table (file_id, share_id) of the files that `r` selects with R/W traffic: from the
// file totals when they answer, else from file_source.
std::string file_pair_source(const Resolved& r, const ExecContext& ctx);

// "1,2,3" for an SQL IN list.
std::string id_list(const std::vector<std::int64_t>& ids);

}  // namespace smbta::query
