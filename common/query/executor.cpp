// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a QueryPlan on the normalized smbta tables (smbta_events + dictionaries + rollup).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "query/engine.h"
#include "query/parser.h"
#include "query/rollup.h"
#include "smbta/record.h"
#include "smbta/timestamp.h"
#include "smbta/version.h"
#include "store/schema.h"

namespace smbta::query {
namespace {

using store::DbiConnection;
using store::DbiResult;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string ts_text(std::int64_t ms) {
  return format_timestamp(ms).substr(0, 19);
}

std::string id_list(const std::vector<std::int64_t>& ids) {
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

// What a Filter means in ids: nullopt = no restriction; an empty vector = nothing matches.
struct Resolved {
  std::optional<std::vector<std::int64_t>> users, shares, files;
  TimeRange range;
  bool empty = false;
};

std::vector<std::int64_t> intersect(const std::optional<std::vector<std::int64_t>>& a,
                                    std::vector<std::int64_t> b) {
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  if (!a) return b;
  std::vector<std::int64_t> out;
  std::set_intersection(a->begin(), a->end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Why: all statements of one run share the connection, the options, the clock and whether the
// rollup can be used; the helpers build SQL only from quoted literals and integers.
class Executor {
 public:
  Executor(DbiConnection& db, const QueryOptions& opts)
      : db_(db), opts_(opts), now_(opts.now_ms ? opts.now_ms : local_now_ms()) {}

  std::vector<ResultTable> run(const QueryPlan& plan) {
    if (!store::schema::ready(db_))
      throw QueryError(QueryError::Kind::kDatabase,
                       "the database holds no smbta schema yet (smbtad creates it on its first "
                       "start, or run smbtad -T)");
    if (opts_.use_rollups) rollups_ = installed_rollups(db_);
    std::vector<ResultTable> out;
    for (const Step& step : plan.steps) out.push_back(run_step(step));
    return out;
  }

 private:
  DbiResult q(const std::string& sql) {
    if (opts_.on_sql) opts_.on_sql(sql);
    return db_.query(sql);
  }
  std::int64_t scalar(const std::string& sql) {
    DbiResult r = q(sql);
    return r.next() ? r.get_int(1).value_or(0) : 0;
  }
  // Text ordering must not depend on the server's locale: byte order on both drivers.
  std::string ordered(std::string_view expr) const {
    return db_.is_pgsql() ? fmt::format("{} COLLATE \"C\"", expr) : std::string(expr);
  }
  std::string like() const { return db_.is_pgsql() ? "ILIKE" : "LIKE"; }

  ResultTable run_step(const Step& step) {
    const Resolved r = resolve(step.filter);
    const std::string t = term(step.filter);
    return std::visit([&](const auto& fn) { return exec(fn, r, t); }, step.fn);
  }

  // ---- objects ----------------------------------------------------------------------------

  static std::string where(const ObjectRef& o) {
    return fmt::format(" (the object at column {})", o.pos + 1);
  }

  std::optional<std::int64_t> string_id(const std::string& value) {
    const std::string v = db_.quote(value);
    DbiResult res =
        q(db_.is_pgsql() ? fmt::format("SELECT id FROM smbta_strings WHERE md5(value) "
                                       "= md5({0}) AND value = {0}",
                                       v)
                         : fmt::format("SELECT id FROM smbta_strings WHERE value = {}", v));
    if (res.next()) return res.get_int(1);
    return std::nullopt;
  }

  Resolved resolve(const Filter& f) {
    Resolved r;
    for (const ObjectRef& o : f.objects) {
      if (o.range) {
        r.range.from = std::max(r.range.from, o.range->from);
        r.range.to = std::min(r.range.to, o.range->to);
      }
      switch (o.kind) {
        case ObjectKind::kGlobal:
        case ObjectKind::kSystem:
          break;
        case ObjectKind::kShare:
        case ObjectKind::kFile: {
          auto id = string_id(o.name);
          const char* what = o.kind == ObjectKind::kShare ? "share" : "file";
          if (!id && opts_.identify)
            throw QueryError(
                QueryError::Kind::kNoSuchObject,
                fmt::format("{} '{}' does not exist in the database{}", what, o.name, where(o)));
          std::vector<std::int64_t> ids;
          if (id) ids.push_back(*id);
          auto& slot = o.kind == ObjectKind::kShare ? r.shares : r.files;
          slot = intersect(slot, ids);
          break;
        }
        case ObjectKind::kDomain: {
          std::vector<std::int64_t> ids;
          DbiResult res =
              q(fmt::format("SELECT id FROM smbta_users WHERE domain = {}", db_.quote(o.name)));
          while (res.next()) ids.push_back(res.get_int(1).value_or(0));
          if (ids.empty() && opts_.identify)
            throw QueryError(
                QueryError::Kind::kNoSuchObject,
                fmt::format("domain '{}' does not exist in the database{}", o.name, where(o)));
          r.users = intersect(r.users, std::move(ids));
          break;
        }
        case ObjectKind::kUser: {
          std::string sql = fmt::format(
              "SELECT id, usersid, domain FROM smbta_users WHERE username = {}", db_.quote(o.name));
          if (!o.sid.empty()) sql += fmt::format(" AND usersid = {}", db_.quote(o.sid));
          DbiResult res = q(sql);
          std::vector<std::int64_t> ids;
          std::map<std::int64_t, std::pair<std::string, std::string>> who;
          while (res.next()) {
            const auto id = res.get_int(1).value_or(0);
            ids.push_back(id);
            who[id] = {res.get_text(2).value_or(""), res.get_text(3).value_or("")};
          }
          if (ids.empty() && opts_.identify)
            throw QueryError(
                QueryError::Kind::kNoSuchObject,
                o.sid.empty()
                    ? fmt::format("user '{}' does not exist in the database{}", o.name, where(o))
                    : fmt::format("user '{}' with SID {} does not exist in the database{}", o.name,
                                  o.sid, where(o)));
          const bool restricted = r.users.has_value();
          r.users = intersect(r.users, std::move(ids));
          if (opts_.identify) {
            std::set<std::pair<std::string, std::string>> distinct;
            for (auto id : *r.users)
              if (who.contains(id)) distinct.insert(who[id]);
            if (distinct.empty() && restricted)
              throw QueryError(
                  QueryError::Kind::kNoSuchObject,
                  fmt::format("user '{}' does not exist in the given domain{}", o.name, where(o)));
            if (distinct.size() > 1) {
              std::string list;
              for (const auto& [sid, dom] : distinct)
                list += fmt::format("\n  {} in domain {}", sid, dom);
              throw QueryError(
                  QueryError::Kind::kAmbiguous,
                  fmt::format("user '{}' is ambiguous{}: the name belongs to {} users:{}\nsay "
                              "which one with \"user {} sid SID\" or put \"domain DOMAIN\" "
                              "before it (or use -I 0 to take them all)",
                              o.name, where(o), distinct.size(), list, o.name));
            }
          }
          break;
        }
      }
    }
    if (opts_.identify && !r.shares && r.files && r.files->size() == 1) {
      for (const ObjectRef& o : f.objects)
        if (o.kind == ObjectKind::kFile) check_file_on_one_share(o, r.files->front());
    }
    if (r.range.from >= r.range.to) r.empty = true;
    for (auto* s : {&r.users, &r.shares, &r.files})
      if (*s && (*s)->empty()) r.empty = true;
    return r;
  }

  // A relative path such as "desktop.ini" exists on many shares; without a share object the
  // question would silently add them up, so identification asks which share is meant (the
  // original asked interactively; -I 0 takes them all).
  void check_file_on_one_share(const ObjectRef& o, std::int64_t file_id) {
    // The file rollup holds the R/W traffic in far fewer rows than the events.
    const std::string source =
        rollups_.files ? fmt::format("smbta_rollup_files e WHERE e.file_id = {}", file_id)
                       : fmt::format("smbta_events e WHERE {} AND e.file_id = {}",
                                     raw_kind(Mode::kReadWrite), file_id);
    const std::string sql = fmt::format(
        "SELECT sh.value FROM (SELECT DISTINCT e.share_id FROM {}) x JOIN smbta_strings sh ON "
        "sh.id = x.share_id ORDER BY {} LIMIT 11",
        source, ordered("sh.value"));
    std::vector<std::string> shares;
    for (DbiResult res = q(sql); res.next();) shares.push_back(res.get_text(1).value_or(""));
    if (shares.size() <= 1) return;
    std::string list;
    for (std::size_t i = 0; i < shares.size() && i < 10; ++i) list += "\n  " + shares[i];
    if (shares.size() > 10) list += "\n  ...";
    throw QueryError(
        QueryError::Kind::kAmbiguous,
        fmt::format("file '{}' is ambiguous{}: it was read or written on {} shares:{}\nsay which "
                    "one with \"share SHARE, file {}\" (or use -I 0 to take them all)",
                    o.name, where(o),
                    shares.size() > 10 ? "more than 10" : std::to_string(shares.size()), list,
                    o.name));
  }

  static std::string term(const Filter& f) {
    std::vector<std::string> parts;
    TimeRange range;
    bool system = false;
    for (const ObjectRef& o : f.objects) {
      if (o.range) {
        range.from = std::max(range.from, o.range->from);
        range.to = std::min(range.to, o.range->to);
      }
      switch (o.kind) {
        case ObjectKind::kGlobal:
          break;
        case ObjectKind::kSystem:
          system = true;
          break;
        case ObjectKind::kShare:
          parts.push_back("on share " + o.name);
          break;
        case ObjectKind::kUser:
          parts.push_back(o.sid.empty() ? "by user " + o.name
                                        : fmt::format("by user {} ({})", o.name, o.sid));
          break;
        case ObjectKind::kFile:
          parts.push_back("on file " + o.name);
          break;
        case ObjectKind::kDomain:
          parts.push_back("in domain " + o.name);
          break;
      }
    }
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
    if (out.empty()) out = system ? "on the system" : "globally";
    if (range.from != kNoLowerBound && range.to != kNoUpperBound)
      out += fmt::format(" from {} to {}", ts_text(range.from), ts_text(range.to));
    else if (range.from != kNoLowerBound)
      out += fmt::format(" since {}", ts_text(range.from));
    else if (range.to != kNoUpperBound)
      out += fmt::format(" until {}", ts_text(range.to));
    return out;
  }

  // ---- SQL building blocks ------------------------------------------------------------------

  static std::string raw_kind(Mode m) {
    return m == Mode::kRead    ? "e.vfs_id IN (0, 1)"
           : m == Mode::kWrite ? "e.vfs_id IN (2, 3)"
                               : "e.vfs_id <= 3";
  }

  // Restrictions of `r` on table alias `a` (ids only; time is added by the callers).
  static std::string id_conditions(const Resolved& r, std::string_view a, bool with_files) {
    std::string out;
    if (r.empty) return " AND 1 = 0";
    if (r.users) out += fmt::format(" AND {}.user_id IN ({})", a, id_list(*r.users));
    if (r.shares) out += fmt::format(" AND {}.share_id IN ({})", a, id_list(*r.shares));
    if (with_files && r.files) out += fmt::format(" AND {}.file_id IN ({})", a, id_list(*r.files));
    return out;
  }

  static std::string raw_time(std::int64_t from, std::int64_t to) {
    std::string out;
    if (from != kNoLowerBound) out += fmt::format(" AND e.ts >= {}", from);
    if (to != kNoUpperBound) out += fmt::format(" AND e.ts < {}", to);
    return out;
  }

  static std::string raw_bytes(const Resolved& r, Mode m, std::int64_t from, std::int64_t to) {
    return fmt::format(
        "SELECT e.ts / {} AS h, e.user_id AS user_id, e.share_id AS share_id, e.length AS bytes, "
        "e.merged AS recs FROM smbta_events e WHERE {}{}{}",
        kHourMs, raw_kind(m), id_conditions(r, "e", true), raw_time(from, to));
  }

  static const char* rollup_kind(Mode m) {
    return m == Mode::kRead ? "r.kind = 0" : m == Mode::kWrite ? "r.kind = 1" : "1 = 1";
  }

  // Splits r's range: whole `unit`s from `rollup` (a SELECT on alias r whose time column is
  // `col`, in units since the epoch), the partial units at the edges from `raw(from, to)`.
  template <typename Raw>
  static std::string split_range(const Resolved& r, std::int64_t unit, const char* col,
                                 std::string rollup, Raw raw) {
    const bool lo = r.range.from != kNoLowerBound, hi = r.range.to != kNoUpperBound;
    const std::int64_t u1 = lo ? floor_div(r.range.from + unit - 1, unit) : 0;
    const std::int64_t u2 = hi ? floor_div(r.range.to, unit) : 0;
    if (lo && hi && u1 >= u2) return raw(r.range.from, r.range.to);
    if (lo) rollup += fmt::format(" AND r.{} >= {}", col, u1);
    if (hi) rollup += fmt::format(" AND r.{} < {}", col, u2);
    if (lo && r.range.from < u1 * unit) rollup += " UNION ALL " + raw(r.range.from, u1 * unit);
    if (hi && u2 * unit < r.range.to) rollup += " UNION ALL " + raw(u2 * unit, r.range.to);
    return rollup;
  }

  // A derived table (h = hour index, user_id, share_id, bytes, recs) of the R/W traffic that
  // `r` selects: whole hours from the rollup, partial hours at the edges from the events.
  std::string byte_source(const Resolved& r, Mode m) const {
    if (!rollups_.hourly || r.files || r.empty) return raw_bytes(r, m, r.range.from, r.range.to);
    return split_range(
        r, kHourMs, "hour",
        fmt::format(
            "SELECT r.hour AS h, r.user_id AS user_id, r.share_id AS share_id, r.bytes AS bytes, "
            "r.records AS recs FROM smbta_rollup_hourly r WHERE {}{}",
            rollup_kind(m), id_conditions(r, "r", false)),
        [&](std::int64_t from, std::int64_t to) { return raw_bytes(r, m, from, to); });
  }

  static std::string raw_files(const Resolved& r, Mode m, std::int64_t from, std::int64_t to) {
    return fmt::format(
        "SELECT COALESCE(e.file_id, 0) AS file_id, e.share_id AS share_id, e.user_id AS user_id, "
        "e.length AS bytes FROM smbta_events e WHERE {}{}{}",
        raw_kind(m), id_conditions(r, "e", true), raw_time(from, to));
  }

  // A derived table (file_id (0: none), share_id, user_id, bytes) of the R/W traffic that `r`
  // selects: whole days from the file rollup, partial days at the edges from the events.
  std::string file_source(const Resolved& r, Mode m) const {
    if (!rollups_.files || r.empty) return raw_files(r, m, r.range.from, r.range.to);
    return split_range(
        r, kDayMs, "day",
        fmt::format(
            "SELECT r.file_id AS file_id, r.share_id AS share_id, r.user_id AS user_id, r.bytes "
            "AS bytes FROM smbta_rollup_files r WHERE {}{}",
            rollup_kind(m), id_conditions(r, "r", true)),
        [&](std::int64_t from, std::int64_t to) { return raw_files(r, m, from, to); });
  }

  static std::string access(Mode m) {
    return m == Mode::kRead    ? "read access"
           : m == Mode::kWrite ? "write access"
                               : "read-write access";
  }

  std::uint32_t limit() const { return std::max<std::uint32_t>(1, opts_.max_rows); }

  static void mark_truncated(ResultTable& t, std::size_t limit) {
    if (t.rows.size() > limit) {
      t.rows.resize(limit);
      t.notes.emplace_back("truncated", std::to_string(limit));
    }
  }

  // ---- functions ----------------------------------------------------------------------------

  ResultTable exec(const Total& fn, const Resolved& r, const std::string& t) {
    ResultTable out;
    out.function = "total";
    out.title = fmt::format("Total number of bytes {} {}.",
                            fn.mode == Mode::kRead    ? "read"
                            : fn.mode == Mode::kWrite ? "written"
                                                      : "transferred",
                            t);
    out.columns = {{"bytes", "Bytes", ColumnType::kBytes},
                   {"records", "Records", ColumnType::kCount}};
    DbiResult res = q(fmt::format(
        "SELECT CAST(COALESCE(SUM(s.bytes), 0) AS bigint), CAST(COALESCE(SUM(s.recs), 0) AS "
        "bigint) FROM ({}) s",
        byte_source(r, fn.mode)));
    std::int64_t bytes = 0, recs = 0;
    if (res.next()) {
      bytes = res.get_int(1).value_or(0);
      recs = res.get_int(2).value_or(0);
    }
    out.rows.push_back({bytes, recs});
    out.notes.emplace_back("mode", std::string(mode_name(fn.mode)));
    return out;
  }

  struct UserInfo {
    std::string name, sid, domain;
  };
  std::map<std::int64_t, UserInfo> users_by_id(const std::vector<std::int64_t>& ids) {
    std::map<std::int64_t, UserInfo> out;
    if (ids.empty()) return out;
    DbiResult res = q(fmt::format(
        "SELECT id, username, usersid, domain FROM smbta_users WHERE id IN ({})", id_list(ids)));
    while (res.next())
      out[res.get_int(1).value_or(0)] = {res.get_text(2).value_or(""), res.get_text(3).value_or(""),
                                         res.get_text(4).value_or("")};
    return out;
  }
  std::map<std::int64_t, std::string> strings_by_id(const std::vector<std::int64_t>& ids) {
    std::map<std::int64_t, std::string> out;
    if (ids.empty()) return out;
    DbiResult res =
        q(fmt::format("SELECT id, value FROM smbta_strings WHERE id IN ({})", id_list(ids)));
    while (res.next()) out[res.get_int(1).value_or(0)] = res.get_text(2).value_or("");
    return out;
  }

  ResultTable exec(const Top& fn, const Resolved& r, const std::string& t) {
    ResultTable out;
    out.function = "top";
    out.title =
        fmt::format("Top {} {} {} by {}.", fn.n, dimension_name(fn.what), t, access(fn.mode));
    out.notes.emplace_back("dimension", std::string(dimension_name(fn.what)));
    out.notes.emplace_back("mode", std::string(mode_name(fn.mode)));
    const char* dir = fn.ascending ? "ASC" : "DESC";
    const std::string src = byte_source(r, fn.mode);
    std::int64_t pos = 0;
    switch (fn.what) {
      case Dimension::kUsers: {
        out.columns = {{"pos", "Pos", ColumnType::kCount},
                       {"username", "User", ColumnType::kText},
                       {"domain", "Domain", ColumnType::kText},
                       {"sid", "SID", ColumnType::kText},
                       {"bytes", "Bytes", ColumnType::kBytes}};
        DbiResult res = q(fmt::format(
            "SELECT s.user_id, CAST(SUM(s.bytes) AS bigint) AS b FROM ({}) s GROUP BY s.user_id "
            "ORDER BY b {}, s.user_id LIMIT {}",
            src, dir, fn.n));
        std::vector<std::pair<std::int64_t, std::int64_t>> top;
        while (res.next()) top.emplace_back(res.get_int(1).value_or(0), res.get_int(2).value_or(0));
        std::vector<std::int64_t> ids;
        for (auto& [id, b] : top) ids.push_back(id);
        auto who = users_by_id(ids);
        for (auto& [id, b] : top) {
          const UserInfo& u = who[id];
          out.rows.push_back({++pos, u.name, u.domain, u.sid, b});
        }
        break;
      }
      case Dimension::kDomains: {
        out.columns = {{"pos", "Pos", ColumnType::kCount},
                       {"domain", "Domain", ColumnType::kText},
                       {"bytes", "Bytes", ColumnType::kBytes}};
        DbiResult res = q(fmt::format(
            "SELECT u.domain, CAST(SUM(s.bytes) AS bigint) AS b FROM ({}) s JOIN smbta_users u "
            "ON u.id = s.user_id GROUP BY u.domain ORDER BY b {}, {} LIMIT {}",
            src, dir, ordered("u.domain"), fn.n));
        while (res.next())
          out.rows.push_back({++pos, res.get_text(1).value_or(""), res.get_int(2).value_or(0)});
        break;
      }
      case Dimension::kShares: {
        out.columns = {{"pos", "Pos", ColumnType::kCount},
                       {"sharename", "Share", ColumnType::kText},
                       {"domain", "Domain", ColumnType::kText},
                       {"bytes", "Bytes", ColumnType::kBytes}};
        DbiResult res = q(
            fmt::format("SELECT s.share_id, CAST(SUM(s.bytes) AS bigint) AS b FROM ({}) s GROUP BY "
                        "s.share_id ORDER BY b {}, s.share_id LIMIT {}",
                        src, dir, fn.n));
        std::vector<std::pair<std::int64_t, std::int64_t>> top;
        while (res.next()) top.emplace_back(res.get_int(1).value_or(0), res.get_int(2).value_or(0));
        std::vector<std::int64_t> ids;
        for (auto& [id, b] : top) ids.push_back(id);
        auto names = strings_by_id(ids);
        // The domains of the users who used each share (shares belong to no domain themselves).
        std::map<std::int64_t, std::string> domains;
        if (!ids.empty()) {
          Resolved only = r;
          only.shares = intersect(r.shares, ids);
          DbiResult d = q(fmt::format(
              "SELECT x.share_id, u.domain FROM (SELECT DISTINCT s.share_id, s.user_id FROM ({}) "
              "s) "
              "x JOIN smbta_users u ON u.id = x.user_id GROUP BY x.share_id, u.domain ORDER BY 1, "
              "{}",
              byte_source(only, fn.mode), ordered("u.domain")));
          while (d.next()) {
            auto& list = domains[d.get_int(1).value_or(0)];
            list += (list.empty() ? "" : ", ") + d.get_text(2).value_or("");
          }
        }
        for (auto& [id, b] : top) out.rows.push_back({++pos, names[id], domains[id], b});
        break;
      }
      case Dimension::kFiles: {
        out.columns = {{"pos", "Pos", ColumnType::kCount},
                       {"filename", "File", ColumnType::kText},
                       {"sharename", "Share", ColumnType::kText},
                       {"bytes", "Bytes", ColumnType::kBytes}};
        DbiResult res = q(fmt::format(
            "SELECT s.file_id, s.share_id, CAST(SUM(s.bytes) AS bigint) AS b FROM ({}) s GROUP "
            "BY s.share_id, s.file_id ORDER BY b {}, s.file_id, s.share_id LIMIT {}",
            file_source(r, fn.mode), dir, fn.n));
        std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> top;
        while (res.next())
          top.emplace_back(res.get_int(1).value_or(0), res.get_int(2).value_or(0),
                           res.get_int(3).value_or(0));
        std::vector<std::int64_t> ids;
        for (auto& [f, s, b] : top) {
          ids.push_back(f);
          ids.push_back(s);
        }
        auto names = strings_by_id(ids);
        for (auto& [f, s, b] : top) out.rows.push_back({++pos, names[f], names[s], b});
        break;
      }
    }
    return out;
  }

  ResultTable exec(const List& fn, const Resolved& r, const std::string& t) {
    ResultTable out;
    out.function = "list";
    out.title = fmt::format("List of {} {}", dimension_name(fn.what), t);
    out.notes.emplace_back("dimension", std::string(dimension_name(fn.what)));
    const std::uint32_t lim = limit();
    std::string sql;
    switch (fn.what) {
      case Dimension::kUsers:
        out.columns = {{"username", "Name", ColumnType::kText},
                       {"sid", "SID", ColumnType::kText},
                       {"domain", "Domain", ColumnType::kText}};
        sql = fmt::format(
            "SELECT u.username, u.usersid, u.domain FROM smbta_users u WHERE u.id IN (SELECT "
            "s.user_id FROM ({}) s) ORDER BY {}, {}, {} LIMIT {}",
            byte_source(r, Mode::kReadWrite), ordered("u.username"), ordered("u.domain"),
            ordered("u.usersid"), lim + 1);
        break;
      case Dimension::kDomains:
        out.columns = {{"domain", "Domain", ColumnType::kText}};
        sql = fmt::format(
            "SELECT u.domain FROM smbta_users u WHERE u.id IN (SELECT s.user_id FROM ({}) s) "
            "GROUP BY u.domain ORDER BY {} LIMIT {}",
            byte_source(r, Mode::kReadWrite), ordered("u.domain"), lim + 1);
        break;
      case Dimension::kShares:
        out.columns = {{"sharename", "Name", ColumnType::kText},
                       {"domain", "Domain", ColumnType::kText}};
        sql = fmt::format(
            "SELECT sh.value, u.domain FROM (SELECT DISTINCT s.share_id, s.user_id FROM ({}) s) "
            "x JOIN smbta_strings sh ON sh.id = x.share_id JOIN smbta_users u ON u.id = "
            "x.user_id GROUP BY sh.value, u.domain ORDER BY {}, {} LIMIT {}",
            byte_source(r, Mode::kReadWrite), ordered("sh.value"), ordered("u.domain"), lim + 1);
        break;
      case Dimension::kFiles:
        out.columns = {{"filename", "Name", ColumnType::kText},
                       {"sharename", "Share", ColumnType::kText}};
        sql = fmt::format(
            "SELECT f.value, sh.value FROM (SELECT DISTINCT s.share_id, s.file_id FROM ({}) s) x "
            "JOIN smbta_strings f ON f.id = x.file_id JOIN smbta_strings sh ON sh.id = "
            "x.share_id ORDER BY {}, {} LIMIT {}",
            file_source(r, Mode::kReadWrite), ordered("sh.value"), ordered("f.value"), lim + 1);
        break;
    }
    DbiResult res = q(sql);
    const auto ncols = static_cast<unsigned>(out.columns.size());
    while (res.next()) {
      std::vector<Cell> row;
      for (unsigned c = 1; c <= ncols; ++c) row.emplace_back(res.get_text(c).value_or(""));
      out.rows.push_back(std::move(row));
    }
    mark_truncated(out, lim);
    return out;
  }

  static std::string upper(std::string_view s) {
    std::string o(s);
    for (char& c : o)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return o;
  }

  ResultTable exec(const LastActivity& fn, const Resolved& r, const std::string& t) {
    ResultTable out;
    out.function = "last_activity";
    out.title = fmt::format("Last activity {}", t);
    out.columns = {
        {"timestamp", "Time", ColumnType::kTimestamp}, {"vfs_func", "Operation", ColumnType::kText},
        {"user", "User", ColumnType::kText},           {"domain", "Domain", ColumnType::kText},
        {"share", "Share", ColumnType::kText},         {"file", "File", ColumnType::kText},
        {"bytes", "Bytes", ColumnType::kBytes},        {"comment", "Comment", ColumnType::kText}};
    // The newest N through the time index, then shown oldest first (as the original did).
    DbiResult res = q(fmt::format(
        "SELECT e.ts, e.vfs_id, u.username, u.domain, sh.value, f.value, f2.value, e.length, "
        "e.result FROM (SELECT e.ts, e.vfs_id, e.user_id, e.share_id, e.file_id, e.file2_id, "
        "e.length, e.result FROM smbta_events e WHERE 1 = 1{}{} ORDER BY e.ts DESC, e.vfs_id "
        "DESC LIMIT {}) e JOIN smbta_users u ON u.id = e.user_id JOIN smbta_strings sh ON sh.id "
        "= e.share_id LEFT JOIN smbta_strings f ON f.id = e.file_id LEFT JOIN smbta_strings f2 "
        "ON f2.id = e.file2_id ORDER BY e.ts, e.vfs_id",
        id_conditions(r, "e", true), raw_time(r.range.from, r.range.to), fn.n));
    while (res.next()) {
      const std::int64_t ts = res.get_int(1).value_or(0);
      const auto op = op_from_int(res.get_int(2).value_or(-1)).value_or(Op::kRead);
      const std::string user = res.get_text(3).value_or("");
      const std::string file = res.get_text(6).value_or("");
      const std::string file2 = res.get_text(7).value_or("");
      const auto length = res.get_int(8);
      const auto result = res.get_int(9);
      std::string msg;
      const std::string n = length ? std::to_string(*length) : "0";
      switch (op) {
        case Op::kRead:
        case Op::kPread:
          msg = fmt::format("User {} read {} bytes from file {}.", user, n, file);
          break;
        case Op::kWrite:
        case Op::kPwrite:
          msg = fmt::format("User {} wrote {} bytes to file {}.", user, n, file);
          break;
        case Op::kOpen:
          msg = fmt::format("User {} opened file {}.", user, file);
          break;
        case Op::kClose:
          msg = fmt::format("User {} closed file {}.", user, file);
          break;
        case Op::kRename:
          msg = fmt::format("User {} renamed {} to {}.", user, file, file2);
          break;
        case Op::kMkdir:
          msg = fmt::format("User {} created directory {}.", user, file);
          break;
        case Op::kRmdir:
          msg = fmt::format("User {} removed directory {}.", user, file);
          break;
        case Op::kChdir:
          msg = fmt::format("User {} changed to directory {}.", user, file);
          break;
        case Op::kUnlink:
          msg = fmt::format("User {} deleted file {}.", user, file);
          break;
        case Op::kCopy:
          msg = fmt::format("User {} copied {} bytes from {} to {}.", user, n, file, file2);
          break;
        case Op::kDropNotice:  // never stored (smbtad logs it)
          msg = fmt::format("A module could not deliver {} records.", result.value_or(0));
          break;
      }
      if (result && static_cast<std::uint64_t>(*result) == kFailedResult)
        msg.insert(msg.size() - 1, " (failed)");
      Op shown = op == Op::kPread ? Op::kRead : op == Op::kPwrite ? Op::kWrite : op;
      std::vector<Cell> row{ts,
                            "VFS:" + upper(op_name(shown)),
                            user,
                            res.get_text(4).value_or(""),
                            res.get_text(5).value_or(""),
                            file,
                            length ? Cell(*length) : Cell(),
                            msg};
      out.rows.push_back(std::move(row));
    }
    return out;
  }

  ResultTable exec(const Usage& fn, const Resolved& r, const std::string& t) {
    ResultTable out;
    out.function = "usage";
    out.title = fmt::format("Traffic per hour of the day {} by {}.", t, access(fn.mode));
    out.columns = {{"time", "Time", ColumnType::kText},
                   {"bytes", "Bytes", ColumnType::kBytes},
                   {"percent", "Share", ColumnType::kPercent}};
    std::int64_t hours[24] = {};
    DbiResult res = q(fmt::format(
        "SELECT s.h % 24 AS hod, CAST(SUM(s.bytes) AS bigint) FROM ({}) s GROUP BY s.h % 24",
        byte_source(r, fn.mode)));
    std::int64_t total = 0;
    while (res.next()) {
      auto h = res.get_int(1).value_or(0);
      if (h < 0) h += 24;
      const auto b = res.get_int(2).value_or(0);
      if (h >= 0 && h < 24) hours[h] += b;
      total += b;
    }
    for (int h = 0; h < 24; ++h) {
      const double pct =
          total > 0 ? static_cast<double>(hours[h]) * 100.0 / static_cast<double>(total) : 0.0;
      out.rows.push_back({fmt::format("{:02}:00 - {:02}:00", h, h + 1), hours[h], pct});
    }
    out.notes.emplace_back("total", std::to_string(total));
    out.notes.emplace_back("mode", std::string(mode_name(fn.mode)));
    return out;
  }

  ResultTable exec(const Search& fn, const Resolved& r, const std::string& t) {
    ResultTable out;
    out.function = "search";
    out.title = fmt::format("Search for '{}' {}.", fn.pattern, t);
    out.columns = {{"kind", "Kind", ColumnType::kText},
                   {"name", "Name", ColumnType::kText},
                   {"share", "Share", ColumnType::kText},
                   {"user", "User", ColumnType::kText},
                   {"domain", "Domain", ColumnType::kText}};
    out.notes.emplace_back("pattern", fn.pattern);
    out.notes.emplace_back("timestamp", ts_text(now_));
    // LIKE with '\' as the escape character on both drivers; a pattern without wildcards is a
    // substring search.
    std::string pat;
    for (char c : fn.pattern) {
      if (c == '\\') pat += '\\';
      pat += c;
    }
    if (fn.pattern.find_first_of("%_") == std::string::npos) pat = "%" + pat + "%";
    const std::string p = db_.quote(pat) + " ESCAPE '\\'";
    const std::string lk = like();
    const std::uint32_t lim = limit();
    const std::string src = byte_source(r, Mode::kReadWrite);

    // Shares, with the domains of their users.
    DbiResult sh = q(fmt::format(
        "SELECT sh.value, u.domain FROM (SELECT DISTINCT s.share_id, s.user_id FROM ({}) s) x "
        "JOIN smbta_strings sh ON sh.id = x.share_id JOIN smbta_users u ON u.id = x.user_id "
        "WHERE sh.value {} {} GROUP BY sh.value, u.domain ORDER BY {}, {} LIMIT {}",
        src, lk, p, ordered("sh.value"), ordered("u.domain"), lim + 1));
    while (sh.next())
      out.rows.push_back(
          {"share", sh.get_text(1).value_or(""), Cell(), Cell(), sh.get_text(2).value_or("")});
    // Users, SIDs and domains from the users dictionary (restricted to users seen in the filter).
    DbiResult us = q(fmt::format(
        "SELECT u.username, u.usersid, u.domain, CASE WHEN u.username {0} {1} THEN 1 ELSE 0 END, "
        "CASE WHEN u.usersid {0} {1} THEN 1 ELSE 0 END, CASE WHEN u.domain {0} {1} THEN 1 ELSE 0 "
        "END FROM smbta_users u WHERE (u.username {0} {1} OR u.usersid {0} {1} OR u.domain {0} "
        "{1}) AND u.id IN (SELECT s.user_id FROM ({2}) s) ORDER BY {3}, {4}, {5} LIMIT {6}",
        lk, p, src, ordered("u.username"), ordered("u.domain"), ordered("u.usersid"), lim + 1));
    std::vector<std::vector<Cell>> users, sids;
    std::set<std::string> domains;
    while (us.next()) {
      const std::string name = us.get_text(1).value_or(""), sid = us.get_text(2).value_or(""),
                        dom = us.get_text(3).value_or("");
      if (us.get_int(4).value_or(0)) users.push_back({"user", name, Cell(), Cell(), dom});
      if (us.get_int(5).value_or(0)) sids.push_back({"sid", sid, Cell(), name, dom});
      if (us.get_int(6).value_or(0)) domains.insert(dom);
    }
    out.rows.insert(out.rows.end(), users.begin(), users.end());
    // Files: every event of a matching file path (the path dictionary is matched first).
    DbiResult fi = q(fmt::format(
        "SELECT f.value, sh.value, u.domain FROM (SELECT DISTINCT s.share_id, s.file_id, "
        "s.user_id FROM ({}) s WHERE s.file_id IN (SELECT id FROM smbta_strings WHERE value {} "
        "{})) x JOIN smbta_strings f ON f.id = x.file_id JOIN smbta_strings sh ON sh.id = "
        "x.share_id JOIN smbta_users u ON u.id = x.user_id GROUP BY f.value, sh.value, u.domain "
        "ORDER BY {}, {}, {} LIMIT {}",
        file_source(r, Mode::kReadWrite), lk, p, ordered("f.value"), ordered("sh.value"),
        ordered("u.domain"), lim + 1));
    while (fi.next())
      out.rows.push_back({"file", fi.get_text(1).value_or(""), fi.get_text(2).value_or(""), Cell(),
                          fi.get_text(3).value_or("")});
    out.rows.insert(out.rows.end(), sids.begin(), sids.end());
    for (const auto& d : domains) out.rows.push_back({"domain", d, Cell(), Cell(), Cell()});
    mark_truncated(out, lim);
    return out;
  }

  ResultTable exec(const Throughput& fn, const Resolved& r, const std::string& t) {
    ResultTable out;
    out.function = "throughput";
    out.title =
        fmt::format("Throughput {} over the last {} {} by {}.", t, fn.n, fn.unit, access(fn.mode));
    out.columns = {{"start", "Interval start", ColumnType::kTimestamp},
                   {"bytes", "Bytes", ColumnType::kBytes},
                   {"rate", "Rate", ColumnType::kRate}};
    const std::int64_t span = static_cast<std::int64_t>(fn.n) * fn.unit_ms;
    const std::int64_t start = now_ - span;
    const std::int64_t from = std::max(start, r.range.from), to = std::min(now_, r.range.to);
    std::vector<std::int64_t> buckets(fn.n, 0);
    if (from < to && !r.empty) {
      DbiResult res = q(fmt::format(
          "SELECT (e.ts - {0}) / {1} AS b, CAST(SUM(e.length) AS bigint) FROM smbta_events e "
          "WHERE {2}{3}{4} GROUP BY (e.ts - {0}) / {1}",
          start, fn.unit_ms, raw_kind(fn.mode), id_conditions(r, "e", true), raw_time(from, to)));
      while (res.next()) {
        const auto b = res.get_int(1).value_or(-1);
        if (b >= 0 && b < static_cast<std::int64_t>(fn.n)) buckets[b] += res.get_int(2).value_or(0);
      }
    }
    std::int64_t total = 0;
    const double seconds = static_cast<double>(fn.unit_ms) / 1000.0;
    for (std::uint32_t i = 0; i < fn.n; ++i) {
      total += buckets[i];
      out.rows.push_back({start + static_cast<std::int64_t>(i) * fn.unit_ms, buckets[i],
                          static_cast<double>(buckets[i]) / seconds});
    }
    out.notes.emplace_back("total", std::to_string(total));
    out.notes.emplace_back(
        "average_rate",
        fmt::format("{:.2f}", static_cast<double>(total) / (static_cast<double>(span) / 1000.0)));
    out.notes.emplace_back("n", std::to_string(fn.n));
    out.notes.emplace_back("unit", fn.unit);
    out.notes.emplace_back("mode", std::string(mode_name(fn.mode)));
    return out;
  }

  struct StatusField {
    const char* column;
    const char* key;  // XML element name of the original report
    const char* label;
    const char* meaning;
  };
  static constexpr StatusField kStatus[] = {
      {"smbtad_version", "smbtad_version", "smbtad version",
       "The version of smbtad that last "
       "started on this database."},
      {"smbtad_database_version", "database_version", "database version",
       "The schema version of the database."},
      {"smbtad_client_port", "client_port", "client port",
       "TCP port on which smbtad serves clients (smbtaquery, smbtamonitor); 0 = none."},
      {"smbtad_unix_socket_clients", "unix_socket_clients", "unix_socket_clients",
       "1 = clients may also connect through the Unix socket /var/tmp/stadsocket_client."},
      {"smbtad_dbname", "dbname", "database name", "The name of the database."},
      {"smbtad_dbhost", "dbhost", "database host", "The host of the database server."},
      {"smbtad_dbuser", "dbuser", "database user", "The database user smbtad connects as."},
      {"smbtad_dbdriver", "dbdriver", "database driver", "The libdbi driver (sqlite3, pgsql)."},
      {"smbtad_maintenance_timer_str", "maintenance_timer_str", "run maintenance every",
       "Time between maintenance runs (HH:MM:SS, -t)."},
      {"smbtad_maintenance_run_time", "maintenance_run_time", "keep data for",
       "Seconds; each maintenance run deletes data older than this (-m)."},
      {"smbtad_debug_level", "debug_level", "debug level", "smbtad's debug level (0-10)."},
      {"smbtad_precision", "precision", "precision",
       "Seconds during which smbtad sums up R/W records of one user and file into one row."},
      {"smbtad_daemon", "daemon", "daemon", "1 = smbtad runs as a daemon."},
      {"smbtad_use_db", "use_db", "use-db",
       "0 = smbtad stores nothing and serves real-time monitors only."},
      {"smbtad_config_file", "config_file", "config file", "The configuration file smbtad read."},
      {"smbtad_ip", "smbtad_ip", "smbtad_ip", "The address smbtad listens on."},
  };

  ResultTable exec(const Report& fn, const Resolved&, const std::string&) {
    ResultTable out;
    out.function = "smbtad-report";
    out.title = fn.full ? "smbtad configuration report" : "smbtad configuration";
    out.notes.emplace_back("kind", fn.full ? "full" : "short");
    out.columns = {{"key", "Key", ColumnType::kText},
                   {"setting", "Setting", ColumnType::kText},
                   {"value", "Value", ColumnType::kText}};
    if (fn.full) out.columns.push_back({"meaning", "Meaning", ColumnType::kText});
    std::string cols;
    for (const auto& f : kStatus) cols += (cols.empty() ? "" : ", ") + std::string(f.column);
    DbiResult res =
        q(fmt::format("SELECT {} FROM status WHERE smbtad_control_entry = 'SMBTAD'", cols));
    if (!res.next())
      throw QueryError(QueryError::Kind::kDatabase, "the status table has no SMBTAD row");
    unsigned i = 1;
    for (const auto& f : kStatus) {
      std::vector<Cell> row{std::string(f.key), std::string(f.label),
                            res.get_text(i++).value_or("")};
      if (fn.full) row.emplace_back(std::string(f.meaning));
      out.rows.push_back(std::move(row));
    }
    return out;
  }

  ResultTable exec(const SelfCheck&, const Resolved&, const std::string&) {
    ResultTable out;
    out.function = "self-check";
    out.title = "Self-check (offline: no update check is made)";
    out.columns = {{"key", "Key", ColumnType::kText},
                   {"component", "Component", ColumnType::kText},
                   {"version", "Version", ColumnType::kText},
                   {"overflow", "Overflow", ColumnType::kCount},
                   {"comment", "Comment", ColumnType::kText}};
    std::string smbtad, dbv;
    {
      DbiResult res =
          q("SELECT smbtad_version, smbtad_database_version FROM status WHERE "
            "smbtad_control_entry = 'SMBTAD'");
      if (res.next()) {
        smbtad = res.get_text(1).value_or("");
        dbv = res.get_text(2).value_or("");
      }
    }
    const std::string mine(engine_version());
    out.rows.push_back({"smbtad", "smbtad", smbtad, Cell(),
                        smbtad.empty()   ? "smbtad has not started on this database yet."
                        : smbtad == mine ? "smbtad and smbtaquery are of the same release."
                                         : fmt::format("smbtad is {}, smbtaquery is {}: "
                                                       "install the same release of both.",
                                                       smbtad, mine)});
    out.rows.push_back(
        {"smbtatools", "smbtaquery", mine, Cell(), "No update check is made (offline)."});
    out.rows.push_back({"database", "database", dbv, Cell(),
                        dbv == store::schema::kSchemaVersion
                            ? "Database status is ok: the schema is current."
                            : fmt::format("The schema is {}, this release uses {}.", dbv,
                                          store::schema::kSchemaVersion)});
    DbiResult m = q(fmt::format(
        "SELECT module_ip_address, module_subrelease_number, module_common_blocks_overflow FROM "
        "modules ORDER BY {}",
        ordered("module_ip_address")));
    bool any = false;
    while (m.next()) {
      any = true;
      const auto sub = m.get_int(2).value_or(0);
      const auto over = m.get_int(3).value_or(0);
      std::string comment =
          sub > 0
              ? fmt::format("Subrelease {} is newer than smbtad supports (0); update smbtad.", sub)
          : over == 0 ? "OK: the module sends exactly the data smbtad needs."
          : over > 0  ? "OK: the module sends more data than smbtad needs; the rest is ignored."
                      : "The module sends fewer common blocks than required.";
      out.rows.push_back(
          {"module", m.get_text(1).value_or(""), std::to_string(sub), over, std::move(comment)});
    }
    if (!any)
      out.notes.emplace_back("error", "No servers running VFS modules have been seen by smbtad.");
    return out;
  }

  DbiConnection& db_;
  const QueryOptions& opts_;
  std::int64_t now_;
  RollupSet rollups_;
};

}  // namespace

std::string_view engine_version() {
  return SMBTA_VERSION;
}

std::vector<ResultTable> execute(const QueryPlan& plan, store::DbiConnection& db,
                                 const QueryOptions& opts) {
  try {
    return Executor(db, opts).run(plan);
  } catch (const store::StoreError& e) {
    throw QueryError(QueryError::Kind::kDatabase, e.what());
  }
}

std::vector<ResultTable> run(std::string_view text, store::DbiConnection& db,
                             const QueryOptions& opts) {
  const std::int64_t now = opts.now_ms ? opts.now_ms : local_now_ms();
  QueryPlan plan;
  try {
    plan = parse(text, now);
  } catch (const ParseError& e) {
    throw QueryError(QueryError::Kind::kSyntax, describe(e, text));
  }
  QueryOptions pinned = opts;
  pinned.now_ms = now;
  return execute(plan, db, pinned);
}

}  // namespace smbta::query
