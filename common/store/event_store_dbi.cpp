// SPDX-License-Identifier: GPL-3.0-or-later
// EventStore over libdbi: dictionary-compressed, batched inserts into the smbta schema.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/dbi_connection.h"
#include "store/event_store.h"
#include "store/schema.h"

namespace smbta::store {
namespace {

// Rows per INSERT statement: big enough that per-statement overhead (parse, libdbi, network
// round trip) vanishes, small enough that a statement stays well under a megabyte.
constexpr std::size_t kRowsPerStatement = 500;
// Dictionary values per INSERT/SELECT when resolving misses; values can be 10 kB each.
constexpr std::size_t kValuesPerStatement = 200;
constexpr std::size_t kBytesPerStatement = 512 * 1024;
// Bound of each id cache; on overflow the cache starts over (ids are looked up again).
constexpr std::size_t kMaxCachedIds = 1'000'000;

// libdbi quotes C strings, so a NUL ends a value; clip it here too so that the cache key and
// the stored value are the same bytes.
std::string_view clip(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

// Why: lookups with std::string_view keys must not allocate on the hot path.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using IdMap = std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>>;

// The users dictionary key: length-prefixed fields, unambiguous for any bytes.
void user_key(std::string& out, std::string_view user, std::string_view sid,
              std::string_view domain) {
  out.clear();
  for (auto f : {user, sid, domain}) {
    out += std::to_string(f.size());
    out += ':';
    out += f;
  }
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void append_opt(std::string& out, bool present, std::int64_t v) {
  if (present)
    append_int(out, v);
  else
    out += "NULL";
}

std::int64_t clamp_int32(std::int64_t v) {
  return std::clamp<std::int64_t>(v, INT_MIN, INT_MAX);
}

// Why: the one EventStore implementation; everything driver-specific stays in DbiConnection
// and schema.cpp, the few remaining differences (digest index lookups) are branches here.
class DbiEventStore final : public EventStore {
 public:
  explicit DbiEventStore(const DbParams& p) : db_(p) {
    if (db_.is_sqlite()) {
      // WAL: smbtaquery can read while smbtad writes, and a commit appends to one file instead
      // of rewriting pages twice. synchronous=NORMAL: in WAL mode a power cut can lose the last
      // commits but never corrupts the database, and commits stop waiting for fsync.
      // cache_size: index pages of a growing table stay in memory between batches (64 MiB).
      db_.sqlite_exec_native(
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536");
    }
  }

  void create_schema() override { schema::create(db_); }
  bool schema_ready() override { return schema::ready(db_); }

  void insert(std::span<const Row> rows) override {
    if (rows.empty()) return;
    if (strings_.size() > kMaxCachedIds) strings_.clear();
    if (users_.size() > kMaxCachedIds) users_.clear();
    db_.begin();
    try {
      resolve_ids(rows);
      write_events(rows);
      db_.commit();
      new_strings_.clear();
      new_users_.clear();
    } catch (...) {
      db_.rollback();
      forget_new_ids();
      throw;
    }
  }

  void note_module(const ModuleInfo& m) override {
    db_.exec(fmt::format(
        "INSERT INTO modules (module_ip_address, module_subrelease_number, "
        "module_common_blocks_overflow) VALUES ({}, {}, {}) ON CONFLICT (module_ip_address) "
        "DO UPDATE SET module_subrelease_number = excluded.module_subrelease_number, "
        "module_common_blocks_overflow = excluded.module_common_blocks_overflow",
        db_.quote(clip(m.peer)), m.subrelease, m.common_blocks_overflow));
  }

  void write_status(const StatusInfo& s) override {
    auto q = [&](const std::string& v) { return db_.quote(clip(v)); };
    db_.exec(fmt::format(
        "UPDATE status SET smbtad_version = {}, smbtad_client_port = {}, "
        "smbtad_unix_socket_clients = {}, smbtad_dbname = {}, smbtad_dbhost = {}, "
        "smbtad_dbuser = {}, smbtad_dbdriver = {}, smbtad_maintenance_timer_str = {}, "
        "smbtad_maintenance_run_time = {}, smbtad_debug_level = {}, smbtad_precision = {}, "
        "smbtad_daemon = {}, smbtad_use_db = {}, smbtad_config_file = {}, smbtad_ip = {} "
        "WHERE smbtad_control_entry = 'SMBTAD'",
        q(s.version), s.client_port, s.unix_socket_clients ? 1 : 0, q(s.dbname), q(s.dbhost),
        q(s.dbuser), q(s.dbdriver), q(s.maintenance_timer), clamp_int32(s.maintenance_run_time_s),
        s.debug_level, s.precision, s.daemon ? 1 : 0, s.use_db ? 1 : 0, q(s.config_file),
        q(s.bind_ip)));
  }

  // Dictionary rows are kept: they are few (distinct names only) and events still being
  // written may refer to them.
  std::uint64_t purge_older_than(std::int64_t cutoff_ms) override {
    db_.begin();
    try {
      const auto n = db_.exec(fmt::format("DELETE FROM smbta_events WHERE ts < {}", cutoff_ms));
      db_.commit();
      return n;
    } catch (...) {
      db_.rollback();
      throw;
    }
  }

  bool ping() override { return db_.ping(); }

 private:
  // Looks every string and user of the batch up in the caches and fetches the missing ids
  // from the database, creating dictionary rows where needed.
  void resolve_ids(std::span<const Row> rows) {
    std::unordered_set<std::string_view> miss_strings;
    std::unordered_map<std::string, UserFields> miss_users;
    auto want = [&](std::string_view s) {
      s = clip(s);
      if (!strings_.contains(s)) miss_strings.insert(s);
    };
    for (const Row& row : rows) {
      const Record& r = row.rec;
      want(r.share);
      want(r.path);
      if (has_path2(r.op)) want(r.path2);
      if (!r.client_ip.empty()) want(r.client_ip);
      user_key(key_, clip(r.user), clip(r.sid), clip(r.domain));
      if (!users_.contains(key_) && !miss_users.contains(key_))
        miss_users.emplace(key_, UserFields{clip(r.user), clip(r.sid), clip(r.domain)});
    }
    if (!miss_strings.empty()) {
      std::vector<std::string_view> sorted(miss_strings.begin(), miss_strings.end());
      // One global order for dictionary inserts: two pgsql writers that both create the same
      // new strings then wait for each other in the same order and cannot deadlock.
      std::sort(sorted.begin(), sorted.end());
      fetch_strings(sorted);
    }
    if (!miss_users.empty()) {
      std::vector<std::pair<std::string, UserFields>> sorted(miss_users.begin(), miss_users.end());
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      fetch_users(sorted);
    }
  }

  struct UserFields {
    std::string_view user, sid, domain;
  };

  static bool has_path2(Op op) { return op == Op::kRename || op == Op::kCopy; }

  // Inserts the missing values (existing ones are skipped) and reads all their ids back.
  void fetch_strings(const std::vector<std::string_view>& values) {
    const bool pg = db_.is_pgsql();
    std::string ins, sel;
    std::size_t first = 0;
    while (first < values.size()) {
      ins = "INSERT INTO smbta_strings (value) VALUES ";
      sel = pg ? "SELECT id, value FROM smbta_strings WHERE md5(value) IN ("
               : "SELECT id, value FROM smbta_strings WHERE value IN (";
      std::size_t i = first;
      for (;
           i < values.size() && i - first < kValuesPerStatement && ins.size() < kBytesPerStatement;
           ++i) {
        const bool more = i > first;
        ins += more ? ",(" : "(";
        db_.append_quoted(ins, values[i]);
        ins += ')';
        if (more) sel += ',';
        if (pg) sel += "md5(";
        db_.append_quoted(sel, values[i]);
        if (pg) sel += ')';
      }
      ins += " ON CONFLICT DO NOTHING";
      sel += ')';
      db_.exec(ins);
      DbiResult r = db_.query(sel);
      std::size_t found = 0;
      while (r.next()) {
        auto id = r.get_int(1);
        auto value = r.get_text(2);
        if (!id || !value) continue;
        // The digest lookup may in theory return a colliding value; only exact matches count.
        if (!std::binary_search(values.begin() + first, values.begin() + i, *value)) continue;
        auto [it, inserted] = strings_.emplace(std::move(*value), *id);
        if (inserted) {
          new_strings_.push_back(it->first);
          ++found;
        }
      }
      if (found != i - first)
        throw StoreError(fmt::format("dictionary lookup returned {} of {} ids", found, i - first),
                         false);
      first = i;
    }
  }

  void fetch_users(const std::vector<std::pair<std::string, UserFields>>& users) {
    const bool pg = db_.is_pgsql();
    std::string ins, sel;
    std::size_t first = 0;
    while (first < users.size()) {
      ins = "INSERT INTO smbta_users (username, usersid, domain) VALUES ";
      sel = "SELECT id, username, usersid, domain FROM smbta_users WHERE ";
      std::size_t i = first;
      for (; i < users.size() && i - first < kValuesPerStatement && ins.size() < kBytesPerStatement;
           ++i) {
        const UserFields& u = users[i].second;
        const bool more = i > first;
        ins += more ? ",(" : "(";
        sel += more ? " OR (" : "(";
        const char* cols[] = {"username", "usersid", "domain"};
        std::string_view vals[] = {u.user, u.sid, u.domain};
        for (int c = 0; c < 3; ++c) {
          if (c) {
            ins += ',';
            sel += " AND ";
          }
          db_.append_quoted(ins, vals[c]);
          if (pg) {
            // Matches the digest index smbta_users_md5.
            sel += fmt::format("md5({}) = md5(", cols[c]);
            db_.append_quoted(sel, vals[c]);
            sel += ')';
          } else {
            sel += cols[c];
            sel += " = ";
            db_.append_quoted(sel, vals[c]);
          }
        }
        ins += ')';
        sel += ')';
      }
      ins += " ON CONFLICT DO NOTHING";
      db_.exec(ins);
      DbiResult r = db_.query(sel);
      std::size_t found = 0;
      std::string key;
      while (r.next()) {
        auto id = r.get_int(1);
        auto user = r.get_text(2), sid = r.get_text(3), domain = r.get_text(4);
        if (!id || !user || !sid || !domain) continue;
        user_key(key, *user, *sid, *domain);
        auto pos =
            std::lower_bound(users.begin() + first, users.begin() + i, key,
                             [](const auto& e, const std::string& k) { return e.first < k; });
        if (pos == users.begin() + i || pos->first != key) continue;
        auto [it, inserted] = users_.emplace(key, *id);
        if (inserted) {
          new_users_.push_back(key);
          ++found;
        }
      }
      if (found != i - first)
        throw StoreError(fmt::format("user lookup returned {} of {} ids", found, i - first), false);
      first = i;
    }
  }

  std::int64_t string_id(std::string_view s) const { return strings_.find(clip(s))->second; }

  void write_events(std::span<const Row> rows) {
    std::string& sql = sql_;
    for (std::size_t first = 0; first < rows.size(); first += kRowsPerStatement) {
      sql.clear();
      sql +=
          "INSERT INTO smbta_events (ts, vfs_id, user_id, share_id, file_id, file2_id, length, "
          "mode, result, merged, client_id) VALUES ";
      const std::size_t last = std::min(rows.size(), first + kRowsPerStatement);
      for (std::size_t i = first; i < last; ++i) {
        const Record& r = rows[i].rec;
        const OpShape shape = shape_of(r.op);
        const bool has_length = shape == OpShape::kFileLength || shape == OpShape::kTwoPathsLength;
        const bool has_mode =
            shape == OpShape::kPathModeResult || shape == OpShape::kFileModeResult;
        user_key(key_, clip(r.user), clip(r.sid), clip(r.domain));
        // A failed read/write/copy reports length -1 printed as %u; it moved no bytes.
        const std::uint64_t length = r.length == kFailedResult ? 0 : r.length;

        sql += i == first ? "(" : ",(";
        append_int(sql, r.timestamp_ms);
        sql += ',';
        append_int(sql, static_cast<int>(r.op));
        sql += ',';
        append_int(sql, users_.find(key_)->second);
        sql += ',';
        append_int(sql, string_id(r.share));
        sql += ',';
        append_int(sql, string_id(r.path));
        sql += ',';
        append_opt(sql, has_path2(r.op), has_path2(r.op) ? string_id(r.path2) : 0);
        sql += ',';
        append_opt(sql, has_length, static_cast<std::int64_t>(length));
        sql += ',';
        append_opt(sql, has_mode, r.mode);
        sql += ',';
        append_opt(sql, !has_length, static_cast<std::int64_t>(r.result));
        sql += ',';
        append_int(sql, rows[i].merged);
        sql += ',';
        append_opt(sql, !r.client_ip.empty(), r.client_ip.empty() ? 0 : string_id(r.client_ip));
        sql += ')';
      }
      db_.exec(sql);
    }
  }

  // Ids handed out inside a rolled-back transaction no longer exist (sqlite even hands the
  // same numbers out again), so the cache must not keep them.
  void forget_new_ids() {
    for (const auto& s : new_strings_) strings_.erase(s);
    for (const auto& u : new_users_) users_.erase(u);
    new_strings_.clear();
    new_users_.clear();
  }

  DbiConnection db_;
  IdMap strings_;
  IdMap users_;
  std::vector<std::string> new_strings_;
  std::vector<std::string> new_users_;
  std::string key_;  // scratch user key, reused to avoid an allocation per row
  std::string sql_;  // statement buffer, reused across batches
};

}  // namespace

std::unique_ptr<EventStore> EventStore::open(const DbParams& params) {
  return std::make_unique<DbiEventStore>(params);
}

}  // namespace smbta::store
