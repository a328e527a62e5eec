// SPDX-License-Identifier: GPL-3.0-or-later
// The SQL store of smbta: schema, batched inserts, module/status bookkeeping and retention.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "smbta/defaults.h"
#include "smbta/record.h"

namespace smbta::store {

struct SenderLoss;  // store/loss_ledger.h
namespace loss_ledger {
struct Bases;
}

// Connection parameters, as smbtad's -M/-N/-S/-H/-P and [database] config keys give them.
struct DbParams {
  std::string driver = "sqlite3";  // sqlite3 | pgsql | mysql
  std::string name;                // database name; for sqlite3 a path or a name in dbdir
  std::string host;
  std::string user;
  std::string password;
  std::string port;          // optional
  std::string sqlite_dbdir;  // sqlite3: directory of the database file
  int sqlite_timeout_ms = 10000;
  // sqlite3: fail when the database file is missing instead of creating it. The readers
  // (smbtaquery) set it: a wrong path must be an error naming it, not a new empty database.
  bool must_exist = false;
};

// Where `p` points, for messages: the absolute file of a sqlite3 database, else
// "database NAME on HOST[:PORT]".
std::string describe_location(const DbParams& p);

// One row to store: a record, or the sum of `merged` R/W records of one aggregation bucket
// (then rec.length is the byte sum and rec.timestamp_ms the first record's time).
struct Row {
  Record rec;
  std::uint32_t merged = 1;
  // Aggregated rows (precision > 0) are written as soon as possible and then grown: with
  // `accumulate` set, add rec.length and merged to the existing row of the same op kind
  // (read/pread = 0, write/pwrite = 2), user, SID, domain, share and file whose timestamp lies in
  // [bucket_start_ms, bucket_start_ms + bucket_ms); insert the row when there is none.
  bool accumulate = false;
  std::int64_t bucket_start_ms = 0;
  std::int64_t bucket_ms = 0;
};

// What the `modules` table says about one sending module (one per peer address).
struct ModuleInfo {
  std::string peer;  // numeric IP or "unix"
  int subrelease = 0;
  int common_blocks_overflow = 1;  // common block count - 6
  // From a drop notice: records (and their encoded bytes) the module could not deliver since
  // its previous notice. Added to the module's totals in smbta_module_drops.
  std::uint64_t dropped_records = 0;
  std::uint64_t dropped_bytes = 0;
};

// How far the replay of one spool generation (the segments one smbtad process spooled) got: the
// first `rows` rows of segment `segment` are stored, and every earlier segment.
struct ReplayMark {
  std::string generation;
  std::uint64_t segment = 0;
  std::uint64_t rows = 0;
};

// The running configuration written into the `status` table at start.
struct StatusInfo {
  std::string version;
  int client_port = SMBTA_DEFAULT_CLIENT_PORT;
  bool unix_socket_clients = false;
  std::string dbname, dbhost, dbuser, dbdriver;
  std::string maintenance_timer;  // "HH:MM:SS"
  std::int64_t maintenance_run_time_s = 86400;
  int debug_level = 0;
  int precision = 5;
  bool daemon = true;
  bool use_db = true;
  std::string config_file;
  std::string bind_ip;
  // What the 1.2.6 status columns cannot say, kept in smbta_settings for smbtad-report.
  int module_port = SMBTA_DEFAULT_MODULE_PORT;  // 0: modules do not connect over TCP
  std::string module_socket;                    // empty: no Unix socket for modules
  std::string client_socket;                    // empty: no Unix socket for clients
  std::string database;                         // describe_location() of smbtad's database
};

// What one bounded step of retention removed (EventStore::purge_step).
struct PurgeStep {
  std::uint64_t rows = 0;
  bool done = false;  // nothing older than the cutoff is left
};

// Why: errors from the database must be told apart: a lost connection means "spool and retry
// later", anything else is a bug or a schema problem to report.
class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& what, bool connection_lost)
      : std::runtime_error(what), connection_lost_(connection_lost) {}
  bool connection_lost() const { return connection_lost_; }

 private:
  bool connection_lost_;
};

// Why: smbtad's writer thread, smbtad -T, the tests and the benchmarks all need the same schema
// and the same way of writing rows. Connection and transactions are libdbi's (the schema
// exists for sqlite3 and pgsql); on sqlite3 the rows and dictionary entries bypass libdbi's SQL
// text and go through prepared statements on the driver's own sqlite3 handle (sqlite_writer.h).
// Not thread-safe: one EventStore per thread.
class EventStore {
 public:
  // Connects. Throws StoreError (connection_lost = true when the server is unreachable).
  static std::unique_ptr<EventStore> open(const DbParams& params);
  virtual ~EventStore() = default;

  // Creates every table, index and view if missing (smbtad -T and first run); idempotent.
  virtual void create_schema() = 0;
  // True when the smbta schema exists and is current; throws StoreError with advice when the
  // database holds an older schema (1.2.x: run smbtaquery -C) or a newer one.
  virtual bool schema_ready() = 0;

  // Inserts all rows in one transaction, or none (throws StoreError, transaction rolled back).
  virtual void insert(std::span<const Row> rows) = 0;
  // As insert(), and records `mark` in the same transaction (rows may be empty: then only the
  // mark moves). Why: a spool segment is removed only after its rows committed; when removing
  // fails, or smbtad dies in between, the mark says it is stored and replay skips it.
  virtual void insert_replayed(std::span<const Row> rows, const ReplayMark& mark) = 0;
  // The mark last recorded for `generation`; segment 0 and rows 0 when there is none.
  virtual ReplayMark replay_mark(std::string_view generation) = 0;
  virtual void note_module(const ModuleInfo& m) = 0;
  // The loss ledger (store/loss_ledger.h, table smbta_loss): each sender's counters and unseen
  // sequence numbers, saved after its rows are kept and loaded at start.
  // `bases`: what the table held for senders that started blank (loss_ledger::Base), kept by
  // the caller across saves and connections.
  virtual void save_loss(const std::vector<SenderLoss>& senders, loss_ledger::Bases& bases) = 0;
  virtual std::vector<SenderLoss> load_loss() = 0;
  virtual void write_status(const StatusInfo& s) = 0;
  // One bounded step of retention, committed on its own: deletes at most `limit` rows whose
  // timestamp is older than cutoff_ms (naive local ms, see Record), or on a partitioned pgsql
  // table drops one partition lying wholly before it. Why bounded: smbtad's writer runs these
  // steps between ingest batches, so that deleting millions of rows never holds rows back for
  // long (one big DELETE did, and on MySQL also held its locks and undo log until the end).
  virtual PurgeStep purge_step(std::int64_t cutoff_ms, std::uint64_t limit) = 0;
  // Every step until done (smbtaquery, tests); returns how many rows were deleted.
  std::uint64_t purge_older_than(std::int64_t cutoff_ms, std::uint64_t limit = kPurgeBatchRows) {
    std::uint64_t total = 0;
    for (;;) {
      const PurgeStep s = purge_step(cutoff_ms, limit);
      total += s.rows;
      if (s.done) return total;
    }
  }
  // Rows per purge step by default: about 50-100 ms of deleting on sqlite3 with the rollup
  // triggers (bench/retention_bench.sh).
  static constexpr std::uint64_t kPurgeBatchRows = 10'000;
  // Cheap liveness check (reconnects if the driver can).
  virtual bool ping() = 0;
};

}  // namespace smbta::store
