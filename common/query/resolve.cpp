// SPDX-License-Identifier: GPL-3.0-or-later
// Object resolution: names to ids, identification errors, and the filter phrase of titles.
#include "query/resolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "query/sql_source.h"
#include "smbta/timestamp.h"

namespace smbta::query {
namespace {

using store::DbiResult;

// The objects of a filter are ANDed, so are their time ranges.
void narrow(TimeRange& range, const ObjectRef& o) {
  if (!o.range) return;
  range.from = std::max(range.from, o.range->from);
  range.to = std::min(range.to, o.range->to);
}

std::string where(const ObjectRef& o) {
  return fmt::format(" (the object at column {})", o.pos + 1);
}

std::optional<std::int64_t> string_id(ExecContext& ctx, const std::string& value) {
  const std::string v = ctx.db().quote(value);
  DbiResult res = ctx.query(fmt::format("SELECT id FROM smbta_strings WHERE {}",
                                        store::dialect::string_match(ctx.db(), "", v)));
  if (res.next()) return res.get_int(1);
  return std::nullopt;
}

// Samba matches user, share and domain names case-insensitively, but smbta stores them as the
// module sent them: "user Anna" finds nothing when "anna" was stored. The stored spellings that
// differ only in case, as a hint for the error message ("" when there are none).
// `from` names the table (alias x) and `column` the name column; `also` narrows further.
std::string case_hint(ExecContext& ctx, std::string_view from, std::string_view column,
                      std::string_view also, const std::string& name) {
  std::vector<std::string> found;
  for (DbiResult res = ctx.query(fmt::format("SELECT x.{0} FROM {1} WHERE lower(x.{0}) = "
                                             "lower({2}){3} GROUP BY x.{0} ORDER BY {4} LIMIT 6",
                                             column, from, ctx.db().quote(name), also,
                                             ctx.ordered(fmt::format("x.{}", column))));
       res.next();)
    found.push_back(res.get_text(1).value_or(""));
  if (found.empty()) return "";
  std::string list;
  for (std::size_t i = 0; i < found.size() && i < 5; ++i)
    list += (i ? ", '" : "'") + found[i] + "'";
  if (found.size() > 5) list += ", ...";
  return fmt::format(
      "; stored in another case: {} (smbta keeps names as Samba sent them and compares them "
      "exactly)",
      list);
}

// A relative path such as "desktop.ini" exists on many shares; without a share object the
// question would silently add them up, so identification asks which share is meant (the
// original asked interactively; -I 0 takes them all).
void check_file_on_one_share(ExecContext& ctx, const ObjectRef& o, std::int64_t file_id) {
  // The file rollups hold the R/W traffic in far fewer rows than the events; the totals are
  // indexed by file.
  const std::string source =
      ctx.rollups().file_totals
          ? fmt::format("smbta_rollup_file_totals e WHERE e.file_id = {}", file_id)
      : ctx.rollups().files ? fmt::format("smbta_rollup_files e WHERE e.file_id = {}", file_id)
                            : fmt::format("smbta_events e WHERE {} AND e.file_id = {}",
                                          raw_kind(Mode::kReadWrite), file_id);
  const std::string sql = fmt::format(
      "SELECT sh.value FROM (SELECT DISTINCT e.share_id FROM {}) x JOIN smbta_strings sh ON "
      "sh.id = x.share_id ORDER BY {} LIMIT 11",
      source, ctx.ordered("sh.value"));
  std::vector<std::string> shares;
  for (DbiResult res = ctx.query(sql); res.next();) shares.push_back(res.get_text(1).value_or(""));
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

// "user 'anna'" or "users 'anna', 'bert'" for the user objects of a filter.
std::string describe_users(const std::vector<const ObjectRef*>& users) {
  std::string names;
  for (const ObjectRef* u : users) names += (names.empty() ? "'" : ", '") + u->name + "'";
  return (users.size() == 1 ? "user " : "users ") + names;
}

}  // namespace

std::string ts_text(std::int64_t ms) {
  return format_timestamp(ms).substr(0, 19);
}

std::vector<std::int64_t> intersect(const std::optional<std::vector<std::int64_t>>& a,
                                    std::vector<std::int64_t> b) {
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  if (!a) return b;
  std::vector<std::int64_t> out;
  std::set_intersection(a->begin(), a->end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Resolved resolve(ExecContext& ctx, const Filter& f) {
  Resolved r;
  // The objects that restricted the users so far, so that an empty combination is blamed on
  // the combination, not on the last name.
  std::vector<const ObjectRef*> user_objects, domain_objects;
  for (const ObjectRef& o : f.objects) {
    narrow(r.range, o);
    switch (o.kind) {
      case ObjectKind::kGlobal:
      case ObjectKind::kSystem:
        break;
      case ObjectKind::kShare:
      case ObjectKind::kFile: {
        auto id = string_id(ctx, o.name);
        const char* what = o.kind == ObjectKind::kShare ? "share" : "file";
        if (!id && ctx.options().identify)
          throw QueryError(
              QueryError::Kind::kNoSuchObject,
              fmt::format("{} '{}' does not exist in the database{}{}", what, o.name, where(o),
                          o.kind == ObjectKind::kShare
                              ? case_hint(ctx, "smbta_strings x", "value",
                                          " AND EXISTS (SELECT 1 FROM smbta_events e WHERE "
                                          "e.share_id = x.id)",
                                          o.name)
                              : ""));
        std::vector<std::int64_t> ids;
        if (id) ids.push_back(*id);
        auto& slot = o.kind == ObjectKind::kShare ? r.shares : r.files;
        slot = intersect(slot, ids);
        break;
      }
      case ObjectKind::kDomain: {
        std::vector<std::int64_t> ids;
        DbiResult res = ctx.query(
            fmt::format("SELECT id FROM smbta_users WHERE domain = {}", ctx.db().quote(o.name)));
        while (res.next()) ids.push_back(res.get_int(1).value_or(0));
        if (ids.empty() && ctx.options().identify)
          throw QueryError(
              QueryError::Kind::kNoSuchObject,
              fmt::format("domain '{}' does not exist in the database{}{}", o.name, where(o),
                          case_hint(ctx, "smbta_users x", "domain", "", o.name)));
        if (ctx.options().identify && !user_objects.empty()) {
          // The users are known; only the combination is empty.
          const auto admitted = intersect(r.users, ids);
          if (admitted.empty())
            throw QueryError(QueryError::Kind::kNoSuchObject,
                             fmt::format("{} is not in domain '{}'{}", describe_users(user_objects),
                                         o.name, where(o)));
        }
        r.users = intersect(r.users, std::move(ids));
        domain_objects.push_back(&o);
        break;
      }
      case ObjectKind::kUser: {
        std::string sql =
            fmt::format("SELECT id, usersid, domain FROM smbta_users WHERE username = {}",
                        ctx.db().quote(o.name));
        if (!o.sid.empty()) sql += fmt::format(" AND usersid = {}", ctx.db().quote(o.sid));
        DbiResult res = ctx.query(sql);
        std::vector<std::int64_t> ids;
        std::map<std::int64_t, std::pair<std::string, std::string>> who;
        while (res.next()) {
          const auto id = res.get_int(1).value_or(0);
          ids.push_back(id);
          who[id] = {res.get_text(2).value_or(""), res.get_text(3).value_or("")};
        }
        if (ids.empty() && ctx.options().identify)
          throw QueryError(
              QueryError::Kind::kNoSuchObject,
              o.sid.empty()
                  ? fmt::format("user '{}' does not exist in the database{}{}", o.name, where(o),
                                case_hint(ctx, "smbta_users x", "username", "", o.name))
                  : fmt::format("user '{}' with SID {} does not exist in the database{}", o.name,
                                o.sid, where(o)));
        r.users = intersect(r.users, std::move(ids));
        if (ctx.options().identify) {
          std::set<std::pair<std::string, std::string>> distinct;
          for (auto id : *r.users)
            if (who.contains(id)) distinct.insert(who[id]);
          // The user exists, so an empty intersection is the fault of the objects before it:
          // objects are ANDed, and one row has one user.
          if (distinct.empty() && !user_objects.empty())
            throw QueryError(
                QueryError::Kind::kNoSuchObject,
                fmt::format("{} and user '{}'{} are both given, and objects are ANDed: no "
                            "traffic belongs to both; ask one query per user (\"user {}, total "
                            "rw; user {}, total rw;\")",
                            describe_users(user_objects), o.name, where(o),
                            user_objects.front()->name, o.name));
          if (distinct.empty() && !domain_objects.empty())
            throw QueryError(QueryError::Kind::kNoSuchObject,
                             fmt::format("user '{}'{} is not in domain '{}'", o.name, where(o),
                                         domain_objects.back()->name));
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
        user_objects.push_back(&o);
        break;
      }
    }
  }
  if (ctx.options().identify && !r.shares && r.files && r.files->size() == 1) {
    for (const ObjectRef& o : f.objects)
      if (o.kind == ObjectKind::kFile) check_file_on_one_share(ctx, o, r.files->front());
  }
  if (r.range.from >= r.range.to) r.empty = true;
  for (auto* s : {&r.users, &r.shares, &r.files})
    if (*s && (*s)->empty()) r.empty = true;
  return r;
}

std::string filter_phrase(const Filter& f) {
  std::vector<std::string> parts;
  TimeRange range;
  bool system = false;
  for (const ObjectRef& o : f.objects) {
    narrow(range, o);
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

}  // namespace smbta::query
