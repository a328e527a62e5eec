// SPDX-License-Identifier: GPL-3.0-or-later
// EventStore over libdbi: dictionary-compressed, batched inserts into the smbta schema.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "smbta/timestamp.h"
#include "store/dbi_connection.h"
#include "store/event_store.h"
#include "store/event_text.h"
#include "store/loss_ledger.h"
#include "store/pg_copy_writer.h"
#include "store/pg_partitions.h"
#include "store/schema.h"
#include "store/sql_dialect.h"
#include "store/sqlite_writer.h"

namespace smbta::store {
namespace {

// Rows per INSERT statement of the SQL text path (pgsql): enough that the per-statement round
// trip vanishes, small enough that a statement stays far below a megabyte.
constexpr std::size_t kRowsPerStatement = 500;
// Dictionary values per INSERT/SELECT when resolving misses; values can be 10 kB each.
constexpr std::size_t kValuesPerStatement = 200;
constexpr std::size_t kBytesPerStatement = 512 * 1024;
// Bounds of the id caches; on overflow they start over (ids are looked up again). Paths may be
// kilobytes long, so the entry count alone would let a million long paths take gigabytes.
constexpr std::size_t kMaxCachedIds = 1'000'000;
constexpr std::size_t kMaxCachedBytes = 64 * 1024 * 1024;
constexpr std::size_t kBytesPerCacheEntry = 64;  // node, bucket and id besides the key's bytes

// libdbi quotes C strings, so a NUL ends a value; clip it here too so that the cache key and
// the stored value are the same bytes.
std::string_view clip(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

// std::hash<std::string> makes libstdc++ cache each node's hash code; with a custom
// transparent hash it does not, and then walks bucket chains by rehashing whole paths, which
// cost more than the SQL parsing. Lookups therefore copy the key into a reused std::string.
using IdMap = std::unordered_map<std::string, std::int64_t>;

// The users dictionary key: length-prefixed fields, unambiguous for any bytes. Raw 4-byte
// lengths instead of decimal text: this runs for every row and must not allocate.
void user_key(std::string& out, std::string_view user, std::string_view sid,
              std::string_view domain) {
  out.clear();
  for (auto f : {user, sid, domain}) {
    const auto n = static_cast<std::uint32_t>(f.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out += f;
  }
}

std::int64_t clamp_int32(std::int64_t v) {
  return std::clamp<std::int64_t>(v, INT_MIN, INT_MAX);
}

std::int64_t clamp_int64(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(
      v, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
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
      // cache_size: the pages a batch touches (the tail of the table and of the ts index, the
      // dictionaries) stay in memory between batches; 8 MiB keeps smbtad within its RSS budget.
      // page_size (takes effect only when the file is created): 16 KiB pages carry less
      // per-page overhead; measured 59.0-59.8 bytes/row instead of 60.1 (bench/ingest_bench.sh).
      db_.sqlite_exec_native(
          "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA "
          "cache_size=-8192");
      fast_ = std::make_unique<SqliteWriter>(db_.sqlite_handle());
    } else if (db_.is_pgsql()) {
      pg_ = std::make_unique<PgCopyWriter>(db_);
    }
  }

  void create_schema() override { schema::create(db_); }
  bool schema_ready() override { return schema::ready(db_); }

  void insert(std::span<const Row> rows) override { insert_marked(rows, nullptr); }

  void insert_replayed(std::span<const Row> rows, const ReplayMark& mark) override {
    insert_marked(rows, &mark);
  }

  ReplayMark replay_mark(std::string_view generation) override {
    ReplayMark m{std::string(generation)};
    auto r = db_.query(
        fmt::format("SELECT segment, segment_rows FROM smbta_spool_replay WHERE generation = {}",
                    db_.quote(generation)));
    if (r.next()) {
      m.segment = static_cast<std::uint64_t>(r.get_int(1).value_or(0));
      m.rows = static_cast<std::uint64_t>(r.get_int(2).value_or(0));
    }
    return m;
  }

  void note_module(const ModuleInfo& m) override {
    db_.exec(fmt::format(
        "INSERT INTO modules (module_ip_address, module_subrelease_number, "
        "module_common_blocks_overflow) VALUES ({}, {}, {}) {}",
        db_.quote(clip(m.peer)), m.subrelease, m.common_blocks_overflow,
        dialect::on_conflict_update(
            db_, "module_ip_address",
            fmt::format("module_subrelease_number = {}, module_common_blocks_overflow = {}",
                        dialect::new_value(db_, "module_subrelease_number"),
                        dialect::new_value(db_, "module_common_blocks_overflow")))));
    if (m.dropped_records > 0 || m.dropped_bytes > 0)
      db_.exec(fmt::format(
          "INSERT INTO smbta_module_drops (module_ip_address, records, bytes) VALUES ({0}, {1}, "
          "{2}) {3}",
          db_.quote(clip(m.peer)), clamp_int64(m.dropped_records), clamp_int64(m.dropped_bytes),
          dialect::on_conflict_update(
              db_, "module_ip_address",
              fmt::format("records = smbta_module_drops.records + {0}, bytes = "
                          "smbta_module_drops.bytes + {1}",
                          clamp_int64(m.dropped_records), clamp_int64(m.dropped_bytes)))));
  }

  void save_loss(const std::vector<SenderLoss>& senders, loss_ledger::Bases& bases) override {
    if (!loss_table_) loss_ledger::create_table(db_);
    loss_table_ = true;
    loss_ledger::save(db_, senders, bases);
  }
  std::vector<SenderLoss> load_loss() override { return loss_ledger::load(db_); }

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
    const std::pair<const char*, std::string> settings[] = {
        {"module_port", std::to_string(s.module_port)},
        {"module_socket", s.module_socket},
        {"client_socket", s.client_socket},
        {"database", s.database},
    };
    for (const auto& [name, value] : settings)
      db_.exec(fmt::format(
          "INSERT INTO smbta_settings (name, value) VALUES ({}, {}) {}", db_.quote(name), q(value),
          dialect::on_conflict_update(db_, "name", "value = " + dialect::new_value(db_, "value"))));
  }

  // Dictionary rows are kept: they are few (distinct names only) and events still being
  // written may refer to them. Each step is its own transaction; the rollup triggers subtract
  // the deleted rows in it, so the rollups are exact after every step.
  PurgeStep purge_step(std::int64_t cutoff_ms, std::uint64_t limit) override {
    const PurgeStep step = purge_events_step(cutoff_ms, limit);
    // Senders not heard of within the retention go with their rows (the ledger stays bounded):
    // once per run, at its last step, not with each of its thousands of steps.
    if (step.done) loss_ledger::purge_older_than(db_, cutoff_ms);
    return step;
  }

  PurgeStep purge_events_step(std::int64_t cutoff_ms, std::uint64_t limit) {
    limit = std::max<std::uint64_t>(limit, 1);
    if (pg_ && pg_partitions::is_partitioned(db_)) {
      cover_.forget();  // partitions are dropped (and created ahead)
      return pg_partitions::purge_step(db_, cutoff_ms, local_now_ms(), limit);
    }
    // Each form deletes the oldest `limit` rows through the ts index: sqlite3 by rowid, MySQL
    // with its DELETE ... LIMIT, PostgreSQL (unpartitioned) by ctid (a TID scan).
    std::string sql;
    if (db_.is_sqlite())
      sql = fmt::format(
          "DELETE FROM smbta_events WHERE rowid IN (SELECT rowid FROM smbta_events WHERE ts < {} "
          "ORDER BY ts LIMIT {})",
          cutoff_ms, limit);
    else if (db_.is_mysql())
      sql = fmt::format("DELETE FROM smbta_events WHERE ts < {} ORDER BY ts LIMIT {}", cutoff_ms,
                        limit);
    else
      sql = fmt::format(
          "DELETE FROM smbta_events WHERE ctid = ANY(ARRAY(SELECT ctid FROM smbta_events WHERE ts "
          "< {} LIMIT {}))",
          cutoff_ms, limit);
    db_.begin();
    std::uint64_t n = 0;
    try {
      n = db_.exec(sql);
      db_.commit();
    } catch (...) {
      db_.rollback();
      throw;
    }
    return {n, n < limit};
  }

  bool ping() override { return db_.ping(); }

 private:
  // Dictionary ids of one row; kAbsent for a field the row does not have (NULL).
  static constexpr std::int64_t kAbsent = -1;
  static constexpr std::int64_t kUnresolved = -2;
  struct RowIds {
    std::int64_t user = kAbsent, share = kAbsent, file = kAbsent, file2 = kAbsent, client = kAbsent;
  };

  // Looks every string and user of the batch up in the caches, once per row, and fetches the
  // missing ids from the database, creating dictionary rows where needed. Fills ids_.
  void resolve_ids(std::span<const Row> rows) {
    ids_.assign(rows.size(), RowIds{});
    std::unordered_set<std::string_view> miss_strings;
    std::unordered_map<std::string, UserFields> miss_users;
    std::vector<std::size_t> incomplete;  // rows with at least one miss
    auto lookup = [&](std::string_view s, bool& missed) -> std::int64_t {
      s = clip(s);
      lookup_key_.assign(s);
      auto it = strings_.find(lookup_key_);
      if (it != strings_.end()) return it->second;
      miss_strings.insert(s);
      missed = true;
      return kUnresolved;
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Record& r = rows[i].rec;
      RowIds& id = ids_[i];
      bool missed = false;
      id.share = lookup(r.share, missed);
      id.file = lookup(r.path, missed);
      if (has_path2(r.op)) id.file2 = lookup(r.path2, missed);
      if (!r.client_ip.empty()) id.client = lookup(r.client_ip, missed);
      user_key(key_, clip(r.user), clip(r.sid), clip(r.domain));
      auto u = users_.find(key_);
      if (u != users_.end()) {
        id.user = u->second;
      } else {
        id.user = kUnresolved;
        missed = true;
        if (!miss_users.contains(key_))
          miss_users.emplace(key_, UserFields{clip(r.user), clip(r.sid), clip(r.domain)});
      }
      if (missed) incomplete.push_back(i);
    }
    if (incomplete.empty()) return;
    if (fast_) {
      resolve_natively(miss_strings, miss_users);
    } else if (pg_) {
      resolve_with_copy(miss_strings, miss_users);
    } else if (!miss_strings.empty()) {
      std::vector<std::string_view> sorted(miss_strings.begin(), miss_strings.end());
      // One global order for dictionary inserts: two pgsql writers that both create the same
      // new strings then wait for each other in the same order and cannot deadlock.
      std::sort(sorted.begin(), sorted.end());
      fetch_strings(sorted);
    }
    if (!fast_ && !pg_ && !miss_users.empty()) {
      std::vector<std::pair<std::string, UserFields>> sorted(miss_users.begin(), miss_users.end());
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      fetch_users(sorted);
    }
    auto fill = [&](std::int64_t& slot, std::string_view s) {
      if (slot == kUnresolved) {
        lookup_key_.assign(clip(s));
        slot = strings_.find(lookup_key_)->second;
      }
    };
    for (std::size_t i : incomplete) {
      const Record& r = rows[i].rec;
      RowIds& id = ids_[i];
      fill(id.share, r.share);
      fill(id.file, r.path);
      fill(id.file2, r.path2);
      fill(id.client, r.client_ip);
      if (id.user == kUnresolved) {
        user_key(key_, clip(r.user), clip(r.sid), clip(r.domain));
        id.user = users_.find(key_)->second;
      }
    }
  }

  struct UserFields {
    std::string_view user, sid, domain;
  };

  // sqlite3: one prepared lookup per missing value (no other writer can interleave inside our
  // write transaction, so no ordering is needed).
  void resolve_natively(const std::unordered_set<std::string_view>& strings,
                        const std::unordered_map<std::string, UserFields>& users) {
    for (std::string_view v : strings) {
      auto [it, inserted] = strings_.emplace(std::string(v), fast_->string_id(v));
      if (inserted) new_strings_.push_back(it->first);
    }
    for (const auto& [key, u] : users) {
      auto [it, inserted] = users_.emplace(key, fast_->user_id(u.user, u.sid, u.domain));
      if (inserted) new_users_.push_back(it->first);
    }
  }

  // pgsql: all missing values of the batch in one COPY and one query, users likewise.
  void resolve_with_copy(const std::unordered_set<std::string_view>& strings,
                         const std::unordered_map<std::string, UserFields>& users) {
    const std::vector<std::string_view> values(strings.begin(), strings.end());
    pg_->string_ids(values, [&](std::string_view v, std::int64_t id) {
      auto [it, inserted] = strings_.emplace(std::string(v), id);
      if (inserted) new_strings_.push_back(it->first);
    });
    std::vector<PgUser> list;
    list.reserve(users.size());
    for (const auto& entry : users)
      list.push_back({entry.second.user, entry.second.sid, entry.second.domain});
    std::string key;
    pg_->user_ids(list, [&](const PgUser& u, std::int64_t id) {
      user_key(key, u.user, u.sid, u.domain);
      auto [it, inserted] = users_.emplace(key, id);
      if (inserted) new_users_.push_back(it->first);
    });
  }

  static bool has_path2(Op op) {
    const OpShape shape = shape_of(op);
    return shape == OpShape::kTwoPathsResult || shape == OpShape::kTwoPathsLength;
  }

  // Inserts the missing values (existing ones are skipped) and reads all their ids back.
  // MySQL: an INSERT that waited for another writer's equal row may skip its own although that
  // row then is not there (seen under two writers: the other's transaction was rolled back as a
  // deadlock victim); the values still missing are inserted again, a few times at most.
  static constexpr int kMysqlDictionaryRounds = 4;

  void fetch_strings(const std::vector<std::string_view>& values,
                     int rounds = kMysqlDictionaryRounds) {
    const bool pg = db_.is_pgsql(), my = db_.is_mysql();
    std::string ins, sel;
    std::size_t first = 0;
    while (first < values.size()) {
      ins = "INSERT INTO smbta_strings (value) VALUES ";
      sel = pg   ? "SELECT id, value FROM smbta_strings WHERE md5(value) IN ("
            : my ? "SELECT id, value FROM smbta_strings WHERE digest IN ("
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
        if (my) sel += "UNHEX(MD5(";
        db_.append_quoted(sel, values[i]);
        if (pg) sel += ')';
        if (my) sel += "))";
      }
      ins += ' ';
      ins += dialect::on_conflict_ignore(db_, "id");
      sel += ')';
      // A locking read sees the rows another writer committed while our INSERT waited for it,
      // whatever snapshot the transaction holds (MySQL's consistent reads would not).
      if (my) sel += " LOCK IN SHARE MODE";
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
      if (found != i - first) {
        if (!my || rounds <= 1)
          throw StoreError(fmt::format("dictionary lookup returned {} of {} ids", found, i - first),
                           false);
        std::vector<std::string_view> missing;
        for (std::size_t k = first; k < i; ++k) {
          lookup_key_.assign(values[k]);
          if (!strings_.contains(lookup_key_)) missing.push_back(values[k]);
        }
        fetch_strings(missing, rounds - 1);
      }
      first = i;
    }
  }

  void fetch_users(const std::vector<std::pair<std::string, UserFields>>& users,
                   int rounds = kMysqlDictionaryRounds) {
    const bool pg = db_.is_pgsql(), my = db_.is_mysql();
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
        if (my) {
          // Through the digest index, then exactly.
          sel += "digest = " +
                 dialect::mysql::user_digest(db_.quote(u.user), db_.quote(u.sid),
                                             db_.quote(u.domain)) +
                 " AND ";
        }
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
      ins += ' ';
      ins += dialect::on_conflict_ignore(db_, "id");
      if (my) sel += " LOCK IN SHARE MODE";  // as in fetch_strings
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
      if (found != i - first) {
        if (!my || rounds <= 1)
          throw StoreError(fmt::format("user lookup returned {} of {} ids", found, i - first),
                           false);
        std::vector<std::pair<std::string, UserFields>> missing;
        for (std::size_t k = first; k < i; ++k)
          if (!users_.contains(users[k].first)) missing.push_back(users[k]);
        fetch_users(missing, rounds - 1);  // as in fetch_strings
      }
      first = i;
    }
  }

  EventColumns columns(const Row& row, const RowIds& id) const {
    const Record& r = row.rec;
    const OpShape shape = shape_of(r.op);
    const bool has_length = shape == OpShape::kFileLength || shape == OpShape::kTwoPathsLength;
    const bool has_mode = shape == OpShape::kPathModeResult || shape == OpShape::kFileModeResult;
    EventColumns c;
    c.ts = r.timestamp_ms;
    c.vfs_id = static_cast<int>(r.op);
    c.user_id = id.user;
    c.share_id = id.share;
    c.file_id = id.file;
    if (id.file2 != kAbsent) c.file2_id = id.file2;
    // A failed read/write/copy reports length -1 printed as %u; it moved no bytes.
    if (has_length) c.length = r.length == kFailedResult ? 0 : static_cast<std::int64_t>(r.length);
    if (has_mode) c.mode = r.mode;
    // truncate/allocate: the new size is no transfer (rollups sum length as bytes moved).
    if (shape == OpShape::kPathSizeResult) c.mode = static_cast<std::int64_t>(r.length);
    if (!has_length) c.result = static_cast<std::int64_t>(r.result);
    c.merged = row.merged;
    if (id.client != kAbsent) c.client_id = id.client;
    if (r.latency_us) c.latency_us = static_cast<std::int64_t>(*r.latency_us);
    return c;
  }

  // Rows are written in batch order: an accumulating row may grow a row inserted earlier in the
  // same batch (the writer coalesces several flushes into one transaction).
  void write_events(std::span<const Row> rows) {
    std::size_t plain_from = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!rows[i].accumulate) continue;
      insert_range(rows, plain_from, i);
      if (!accumulate(rows[i], ids_[i])) insert_range(rows, i, i + 1);
      plain_from = i + 1;
    }
    insert_range(rows, plain_from, rows.size());
  }

  // Adds the row's bytes and record count to its bucket's row. The bucket row written by this
  // smbtad carries the same first-record timestamp, so the ts index finds it at once; a row from
  // before a restart or an eviction is searched over the bucket's time range. False when the
  // bucket has no row yet.
  bool accumulate(const Row& row, const RowIds& id) {
    const EventColumns c = columns(row, id);
    const bool ranged = row.bucket_ms > 0;
    if (fast_) {
      return fast_->grow(c, c.ts, c.ts + 1) ||
             (ranged && fast_->grow(c, row.bucket_start_ms, row.bucket_start_ms + row.bucket_ms));
    }
    if (db_.is_mysql()) return accumulate_mysql(row, c);
    // One row at most, even if two ever matched: a sum must not be added twice. A ctid is
    // unique within one partition only, hence the tableoid.
    const std::string head = fmt::format(
        "UPDATE smbta_events SET length = length + {}, merged = merged + {}{} WHERE (tableoid, "
        "ctid) = (SELECT tableoid, ctid FROM smbta_events WHERE vfs_id = {} AND user_id = {} AND "
        "share_id = {} AND "
        "file_id = {} AND ",
        c.length.value_or(0), c.merged, grow_latency(c), c.vfs_id, c.user_id, c.share_id,
        c.file_id);
    if (db_.exec(fmt::format("{}ts = {} LIMIT 1)", head, c.ts)) > 0) return true;
    return ranged &&
           db_.exec(fmt::format("{}ts >= {} AND ts < {} LIMIT 1)", head, row.bucket_start_ms,
                                row.bucket_start_ms + row.bucket_ms)) > 0;
  }

  // The SET clause adding a grown row's latency sum (none when its records were not timed).
  static std::string grow_latency(const EventColumns& c) {
    return c.latency_us ? fmt::format(", latency_us = COALESCE(latency_us, 0) + {}", *c.latency_us)
                        : std::string();
  }

  // MySQL has no ctid, but UPDATE takes a LIMIT.
  bool accumulate_mysql(const Row& row, const EventColumns& c) {
    const std::string head = fmt::format(
        "UPDATE smbta_events SET length = length + {}, merged = merged + {}{} WHERE vfs_id = {} "
        "AND user_id = {} AND share_id = {} AND file_id = {} AND ",
        c.length.value_or(0), c.merged, grow_latency(c), c.vfs_id, c.user_id, c.share_id,
        c.file_id);
    if (db_.exec(fmt::format("{}ts = {} LIMIT 1", head, c.ts)) > 0) return true;
    return row.bucket_ms > 0 &&
           db_.exec(fmt::format("{}ts >= {} AND ts < {} LIMIT 1", head, row.bucket_start_ms,
                                row.bucket_start_ms + row.bucket_ms)) > 0;
  }

  void insert_range(std::span<const Row> rows, std::size_t begin, std::size_t end) {
    if (begin >= end) return;
    if (fast_) {
      for (std::size_t i = begin; i < end; ++i) fast_->add(columns(rows[i], ids_[i]));
      fast_->flush();
      return;
    }
    if (pg_) {
      for (std::size_t i = begin; i < end; ++i) pg_->add(columns(rows[i], ids_[i]));
      pg_->flush();
      return;
    }
    std::string& sql = sql_;
    for (std::size_t first = begin; first < end; first += kRowsPerStatement) {
      sql.clear();
      sql +=
          "INSERT INTO smbta_events (ts, vfs_id, user_id, share_id, file_id, file2_id, length, "
          "mode, result, merged, client_id, latency_us) VALUES ";
      const std::size_t last = std::min(end, first + kRowsPerStatement);
      for (std::size_t i = first; i < last; ++i) {
        const EventColumns c = columns(rows[i], ids_[i]);
        sql += i == first ? "(" : ",(";
        append_event_values(sql, c, ',', "NULL");
        sql += ')';
      }
      db_.exec(sql);
    }
  }

  // pgsql: creates the partitions the batch's days need, before its transaction begins.
  void cover_days(std::span<const Row> rows) {
    if (!partitioned_) partitioned_ = pg_partitions::is_partitioned(db_);
    if (!*partitioned_) return;
    std::set<std::int64_t> days;
    std::int64_t last = 0;
    bool any = false;
    for (const Row& r : rows) {
      const std::int64_t d = pg_partitions::day_of(r.rec.timestamp_ms);
      if (any && d == last) continue;
      any = true;
      last = d;
      if (!cover_.covered(d)) days.insert(d);
    }
    if (days.empty()) return;
    cover_.reload(db_);
    cover_.ensure(db_, days);
  }

  void insert_marked(std::span<const Row> rows, const ReplayMark* mark) {
    // pgsql: another smbtad's maintenance may drop a partition this one still believes in: a
    // row for that day is refused, the partitions are read again and the batch is tried once
    // more. mysql: InnoDB picks a victim when two writers' dictionary inserts wait for each
    // other (the digest index orders them differently from the values) and rolls its
    // transaction back; MySQL's advice is to run it again, which loses nothing: the whole batch
    // is in hand.
    constexpr int kDeadlockAttempts = 8;
    bool partitions_reread = false;
    for (int attempt = 1;; ++attempt) {
      if (pg_ && !rows.empty()) cover_days(rows);
      try {
        insert_once(rows, mark);
        return;
      } catch (const StoreError& e) {
        const std::string_view what(e.what());
        if (pg_ && !partitions_reread && !e.connection_lost() &&
            what.find("no partition of relation") != std::string_view::npos) {
          partitions_reread = true;
          cover_.forget();
          continue;
        }
        if (!db_.is_mysql() || attempt == kDeadlockAttempts ||
            !dialect::mysql::is_deadlock(e.what()))
          throw;
      }
    }
  }

  void insert_once(std::span<const Row> rows, const ReplayMark* mark) {
    if (rows.empty() && !mark) return;
    if (strings_.size() > kMaxCachedIds || users_.size() > kMaxCachedIds ||
        cached_bytes_ > kMaxCachedBytes) {
      strings_.clear();
      users_.clear();
      cached_bytes_ = 0;
    }
    db_.begin();
    try {
      if (!rows.empty()) {
        resolve_ids(rows);
        write_events(rows);
      }
      if (mark) write_mark(*mark);
      db_.commit();
      for (const auto* added : {&new_strings_, &new_users_})
        for (const auto& key : *added) cached_bytes_ += key.size() + kBytesPerCacheEntry;
      new_strings_.clear();
      new_users_.clear();
    } catch (...) {
      if (fast_) fast_->discard();
      if (pg_) pg_->discard();
      db_.rollback();
      forget_new_ids();
      throw;
    }
  }

  void write_mark(const ReplayMark& m) {
    db_.exec(fmt::format(
        "INSERT INTO smbta_spool_replay (generation, segment, segment_rows) VALUES ({}, {}, {}) "
        "{}",
        db_.quote(m.generation), m.segment, m.rows,
        dialect::on_conflict_update(
            db_, "generation",
            fmt::format("segment = {}, segment_rows = {}", dialect::new_value(db_, "segment"),
                        dialect::new_value(db_, "segment_rows")))));
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
  bool loss_table_ = false;             // smbta_loss created on this connection
  std::unique_ptr<SqliteWriter> fast_;  // sqlite3 only; destroyed before db_ closes
  std::unique_ptr<PgCopyWriter> pg_;    // pgsql only
  pg_partitions::Cover cover_;          // pgsql: the partitions known to exist
  std::optional<bool> partitioned_;     // pgsql: whether smbta_events is partitioned
  std::vector<RowIds> ids_;             // per row of the batch being inserted
  IdMap strings_;
  IdMap users_;
  std::vector<std::string> new_strings_;
  std::vector<std::string> new_users_;
  std::size_t cached_bytes_ = 0;  // estimated size of strings_ and users_
  std::string key_;               // scratch user key, reused to avoid an allocation per row
  std::string lookup_key_;        // scratch string key, likewise
  std::string sql_;               // statement buffer, reused across batches
};

}  // namespace

std::unique_ptr<EventStore> EventStore::open(const DbParams& params) {
  return std::make_unique<DbiEventStore>(params);
}

}  // namespace smbta::store
