// SPDX-License-Identifier: GPL-3.0-or-later
// RAII ownership of one libdbi instance and connection, with quoting and typed result access.
#pragma once

#include <dbi/dbi.h>
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/event_store.h"

struct pg_conn;  // libpq's PGconn

namespace smbta::store {

// Why: libdbi results are C handles that must be freed on every path, and drivers disagree on
// the types they report for the same SQL (sqlite3 guesses from declarations, pgsql reports
// exact widths); this wrapper frees the handle and converts any integer or text cell uniformly.
// On sqlite3 it holds rows read through the native handle instead (DbiConnection::query says
// why), with the same accessors.
class DbiResult {
 public:
  // One cell of a native sqlite3 row, by its storage class (BLOBs are kept as text bytes).
  using NativeCell = std::variant<std::monostate, std::int64_t, double, std::string>;
  // A whole native result: libdbd-sqlite3 also read every row up front (sqlite3_get_table).
  struct NativeTable {
    std::size_t columns = 0;
    std::vector<NativeCell> cells;  // row after row
    std::uint64_t affected = 0;
  };

  DbiResult() = default;
  explicit DbiResult(dbi_result r) : r_(r) {}
  explicit DbiResult(NativeTable t) : native_(std::move(t)) {}
  DbiResult(DbiResult&& o) noexcept;
  DbiResult& operator=(DbiResult&& o) noexcept;
  DbiResult(const DbiResult&) = delete;
  DbiResult& operator=(const DbiResult&) = delete;
  ~DbiResult();

  // Advances to the next row; false after the last one.
  bool next();
  std::uint64_t rows() const;
  std::uint64_t rows_affected() const;
  // Cells by 1-based column index (libdbi's convention). NULL gives std::nullopt.
  std::optional<std::int64_t> get_int(unsigned idx) const;
  std::optional<std::string> get_text(unsigned idx) const;

 private:
  const NativeCell& native_cell(unsigned idx) const;

  dbi_result r_ = nullptr;
  std::optional<NativeTable> native_;
  std::size_t native_row_ = 0;  // 1-based current row; 0 before the first next()
};

// Why: every SQL statement smbta sends goes through one place that owns the libdbi handles,
// quotes strings (nothing is ever spliced unquoted) and turns failures into StoreError with
// the "connection lost" distinction the writer thread needs to decide between spool and report.
class DbiConnection {
 public:
  // Connects with the options of `params`. sqlite3: unless params.must_exist, a missing
  // database directory is created 0700 and a missing database file 0600 (it holds user names,
  // SIDs and paths). Throws StoreError naming the database (describe_location).
  explicit DbiConnection(const DbParams& params);
  DbiConnection(const DbiConnection&) = delete;
  DbiConnection& operator=(const DbiConnection&) = delete;
  ~DbiConnection();

  const std::string& driver() const { return driver_; }
  // describe_location() of the parameters: every message about this database names it.
  const std::string& location() const { return location_; }
  bool is_sqlite() const { return driver_ == "sqlite3"; }
  bool is_pgsql() const { return driver_ == "pgsql"; }
  bool is_mysql() const { return driver_ == "mysql"; }

  // Runs a statement and discards any result; returns the number of affected rows.
  // Statements are taken as std::string because libdbi needs them NUL-terminated (the drivers
  // do not implement the length-taking dbi_conn_query_null) and batches are too big to copy.
  std::uint64_t exec(const std::string& sql);
  // On sqlite3 every statement runs on the native handle, never through libdbd-sqlite3: that
  // driver copies each select-list expression into a 128-byte stack buffer while it guesses
  // column types (a search pattern of 81 quotes aborted smbtad with "buffer overflow detected")
  // and leaks a few hundred bytes per query doing so.
  DbiResult query(const std::string& sql);
  // sqlite3 only: runs statements directly on the driver's sqlite3 handle, discarding any
  // rows. For PRAGMAs that return a row: libdbi's sqlite3 driver would print
  // "no tables in statement !" to stdout for them, which corrupts smbtaquery's output.
  void sqlite_exec_native(const std::string& sql);
  // sqlite3 only: the driver's native handle (nullptr for other drivers).
  sqlite3* sqlite_handle() const;
  // pgsql only: the libpq connection libdbd-pgsql opened (nullptr for other drivers), for COPY.
  pg_conn* pg_handle() const;

  // The SQL literal for `s`, quotes included.
  std::string quote(std::string_view s);
  // Appends the SQL literal for `s` to `out` (the hot insert path avoids a temporary).
  void append_quoted(std::string& out, std::string_view s);

  void begin();
  void commit();
  // Never throws: called on error paths; a failed rollback means the connection is gone anyway.
  void rollback() noexcept;
  bool in_transaction() const { return in_tx_; }

  bool ping();
  // The driver's text for the last error.
  std::string error_text();

 private:
  [[noreturn]] void fail(std::string_view what, std::string_view sql);
  [[noreturn]] void fail(std::string msg, std::string_view what, std::string_view sql);
  DbiResult sqlite_query(const std::string& sql);

  std::string driver_;
  std::string location_;
  dbi_inst inst_ = nullptr;
  dbi_conn conn_ = nullptr;
  bool in_tx_ = false;
};

// libdbi unloads its drivers at shutdown, after which LeakSanitizer cannot name the module of
// libdbd-sqlite3's known leaks (tests/support/lsan.supp suppresses them by module). Sanitizer
// builds of smbtad, smbtaquery and the tests call this once so the drivers stay mapped; it is a
// no-op elsewhere. Returns false when libdbi cannot be initialised.
bool keep_drivers_loaded_for_sanitizers();

}  // namespace smbta::store
