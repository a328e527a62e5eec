// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/dbi_connection.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#include <dlfcn.h>
#endif

#include <dbi/dbi-dev.h>  // dbi_conn_t: libdbi has no public accessor for the native handle
#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "store/sql_dialect.h"

namespace smbta::store {
namespace {

// Driver messages that mean the server went away (pgsql/libpq wording) or that the database is
// only temporarily unavailable (sqlite3 lock held past the busy timeout). Both call for
// "spool and retry later" rather than "report a bug"; ping alone cannot tell, because the pgsql
// driver's ping silently reconnects and then reports success for a transaction that is gone.
// Resource shortages count too: a full disk or exhausted memory refuses any row, and a row
// taken for bad because of it would be set aside for good (sqlite3 "database or disk is full",
// PostgreSQL "could not extend file ...: No space left on device").
constexpr std::array<std::string_view, 15> kTransientMarkers = {
    "server closed the connection",
    "no connection to the server",
    "terminating connection",
    "could not receive data",
    "could not send data",
    "connection to server",
    "could not connect",
    "database is locked",
    "SSL SYSCALL error",
    "database or disk is full",
    "disk I/O error",
    "No space left on device",
    "Disk quota exceeded",
    "could not extend file",
    "out of memory",
};

bool looks_transient(std::string_view msg) {
  for (auto m : kTransientMarkers)
    if (msg.find(m) != std::string_view::npos) return true;
  return false;
}

// Connection refusals that waiting will not cure: the server answered and said no. These stop
// smbtad at start-up instead of spooling forever (libpq wording; MySQL/MariaDB for later).
constexpr std::array<std::string_view, 8> kRefusalMarkers = {
    "authentication failed",  // wrong password, or peer/ident mismatch
    "no password supplied",  "no pg_hba.conf entry",
    "does not exist",  // database or role
    "permission denied",     "Access denied",
    "Unknown database",      "unable to open database file",
};

bool looks_refused(std::string_view msg) {
  for (auto m : kRefusalMarkers)
    if (msg.find(m) != std::string_view::npos) return true;
  return false;
}

// Splits a sqlite3 database name into the directory and file name libdbi wants separately.
std::pair<std::string, std::string> sqlite_location(const DbParams& p) {
  std::filesystem::path name(p.name);
  if (name.has_parent_path()) return {name.parent_path().string(), name.filename().string()};
  return {p.sqlite_dbdir.empty() ? std::string(".") : p.sqlite_dbdir, p.name};
}

namespace fs = std::filesystem;

// Creates the missing directories of `dir`, each 0700 (parents too: a 0755 parent would let
// every local user list the database's name), and leaves existing ones alone.
void create_private_directories(const fs::path& dir) {
  std::error_code ec;
  if (dir.empty() || fs::exists(dir, ec)) return;
  create_private_directories(dir.parent_path());
  if (fs::create_directory(dir, ec)) fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec)
    throw StoreError(
        fmt::format("cannot create database directory {}: {}", dir.string(), ec.message()), false);
}

// Creates an empty database file 0600 (an empty file is a valid sqlite3 database), so that
// sqlite3 does not create it with the umask's 0644; its journal and WAL files take the
// database file's mode. An existing file is left as it is.
void create_private_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno != EEXIST)
    throw StoreError(
        fmt::format("cannot create database file {}: {}", file.string(), std::strerror(errno)),
        false);
}

}  // namespace

std::string describe_location(const DbParams& p) {
  if (p.driver == "sqlite3") {
    auto [dir, file] = sqlite_location(p);
    std::error_code ec;
    fs::path full = fs::absolute(fs::path(dir) / file, ec);
    return (ec ? fs::path(dir) / file : full.lexically_normal()).string();
  }
  std::string where = p.host.empty() ? "the local server" : p.host;
  if (!p.port.empty()) where += ":" + p.port;
  return fmt::format("{} database {} on {}", p.driver, p.name, where);
}

DbiResult::DbiResult(DbiResult&& o) noexcept
    : r_(std::exchange(o.r_, nullptr)), native_(std::move(o.native_)), native_row_(o.native_row_) {
  o.native_.reset();
}

DbiResult& DbiResult::operator=(DbiResult&& o) noexcept {
  if (this != &o) {
    if (r_) dbi_result_free(r_);
    r_ = std::exchange(o.r_, nullptr);
    native_ = std::move(o.native_);
    o.native_.reset();
    native_row_ = o.native_row_;
  }
  return *this;
}

DbiResult::~DbiResult() {
  if (r_) dbi_result_free(r_);
}

bool DbiResult::next() {
  if (native_) {
    if (native_row_ >= rows()) return false;
    ++native_row_;
    return true;
  }
  return r_ && dbi_result_next_row(r_) == 1;
}

std::uint64_t DbiResult::rows() const {
  if (native_) return native_->columns == 0 ? 0 : native_->cells.size() / native_->columns;
  return r_ ? dbi_result_get_numrows(r_) : 0;
}

std::uint64_t DbiResult::rows_affected() const {
  if (native_) return native_->affected;
  if (!r_) return 0;
  const auto n = dbi_result_get_numrows_affected(r_);
  return n == DBI_ROW_ERROR ? 0 : n;
}

const DbiResult::NativeCell& DbiResult::native_cell(unsigned idx) const {
  if (native_row_ == 0 || native_row_ > rows() || idx == 0 || idx > native_->columns)
    throw StoreError(fmt::format("no cell {} in row {} of a {}-column result", idx, native_row_,
                                 native_->columns),
                     false);
  return native_->cells[(native_row_ - 1) * native_->columns + (idx - 1)];
}

namespace {

// Text cells of computed columns are parsed exactly; garbage is an error, never 0.
std::int64_t parse_int_cell(std::string_view sv) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), v);
  if (ec != std::errc() || p != sv.data() + sv.size())
    throw StoreError(fmt::format("database returned non-integer '{}'", sv), false);
  return v;
}

}  // namespace

std::optional<std::int64_t> DbiResult::get_int(unsigned idx) const {
  if (native_) {
    const NativeCell& c = native_cell(idx);
    if (const auto* i = std::get_if<std::int64_t>(&c)) return *i;
    if (const auto* d = std::get_if<double>(&c)) return static_cast<std::int64_t>(*d);
    if (const auto* t = std::get_if<std::string>(&c)) return parse_int_cell(*t);
    return std::nullopt;
  }
  if (!r_ || dbi_result_field_is_null_idx(r_, idx) == 1) return std::nullopt;
  if (dbi_result_get_field_type_idx(r_, idx) == DBI_TYPE_STRING) {
    const char* s = dbi_result_get_string_idx(r_, idx);
    if (!s) return std::nullopt;
    return parse_int_cell(s);
  }
  return dbi_result_get_as_longlong_idx(r_, idx);
}

std::optional<std::string> DbiResult::get_text(unsigned idx) const {
  if (native_) {
    const NativeCell& c = native_cell(idx);
    if (const auto* t = std::get_if<std::string>(&c)) return *t;
    if (const auto* i = std::get_if<std::int64_t>(&c)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&c)) return fmt::format("{}", *d);
    return std::nullopt;
  }
  if (!r_ || dbi_result_field_is_null_idx(r_, idx) == 1) return std::nullopt;
  if (dbi_result_get_field_type_idx(r_, idx) == DBI_TYPE_STRING) {
    // Length-aware, so that text is returned byte for byte.
    const char* s = dbi_result_get_string_idx(r_, idx);
    if (!s) return std::nullopt;
    return std::string(s, dbi_result_get_field_length_idx(r_, idx));
  }
  char* s = dbi_result_get_as_string_copy_idx(r_, idx);
  if (!s) return std::nullopt;
  std::string out(s);
  std::free(s);
  return out;
}

DbiConnection::DbiConnection(const DbParams& params)
    : driver_(params.driver), location_(describe_location(params)) {
  if (dbi_initialize_r(nullptr, &inst_) < 0) {
    inst_ = nullptr;
    throw StoreError("libdbi: no database drivers found", false);
  }
  conn_ = dbi_conn_new_r(driver_.c_str(), inst_);
  if (!conn_) {
    dbi_shutdown_r(inst_);
    throw StoreError(fmt::format("libdbi: driver '{}' is not installed", driver_), false);
  }
  auto set = [&](const char* key, const std::string& value) {
    if (!value.empty()) dbi_conn_set_option(conn_, key, value.c_str());
  };
  if (is_sqlite()) {
    auto [dir, file] = sqlite_location(params);
    try {
      const fs::path path = fs::path(dir) / file;
      std::error_code ec;
      if (params.must_exist) {
        if (!fs::exists(path, ec))
          throw StoreError(fmt::format("there is no sqlite3 database at {}", location_), false);
      } else {
        create_private_directories(dir);
        create_private_file(path);
      }
    } catch (...) {
      dbi_conn_close(conn_);
      dbi_shutdown_r(inst_);
      throw;
    }
    set("sqlite3_dbdir", dir);
    set("dbname", file);
    dbi_conn_set_option_numeric(conn_, "sqlite3_timeout", params.sqlite_timeout_ms);
  } else {
    set("host", params.host);
    set("username", params.user);
    set("password", params.password);
    set("dbname", params.name);
    if (!params.port.empty()) {
      int port = 0;
      auto [p, ec] =
          std::from_chars(params.port.data(), params.port.data() + params.port.size(), port);
      if (ec != std::errc() || p != params.port.data() + params.port.size()) {
        dbi_conn_close(conn_);
        dbi_shutdown_r(inst_);
        throw StoreError(fmt::format("invalid database port '{}'", params.port), false);
      }
      dbi_conn_set_option_numeric(conn_, "port", port);
    }
  }
  dbi_conn_set_option(conn_, "encoding", "UTF-8");
  if (dbi_conn_connect(conn_) < 0) {
    std::string msg = error_text();
    dbi_conn_close(conn_);
    dbi_shutdown_r(inst_);
    // A server we cannot reach (or one still starting) is the retry-later case; a server that
    // refuses us, or a driver that rejects the options, is a configuration error. Both come
    // back as -1 here, so go by the message.
    const bool transient = is_sqlite() ? looks_transient(msg) : !looks_refused(msg);
    throw StoreError(fmt::format("cannot connect to {}: {}",
                                 is_sqlite() ? "sqlite3 database " + location_ : location_, msg),
                     transient);
  }
  if (is_mysql()) {
    for (const auto& stmt : dialect::mysql::session_setup()) {
      try {
        exec(stmt);
      } catch (...) {
        dbi_conn_close(conn_);
        dbi_shutdown_r(inst_);
        throw;
      }
    }
  }
}

DbiConnection::~DbiConnection() {
  if (conn_) dbi_conn_close(conn_);
  if (inst_) dbi_shutdown_r(inst_);
}

std::string DbiConnection::error_text() {
  const char* msg = nullptr;
  dbi_conn_error(conn_, &msg);
  return msg ? std::string(msg) : std::string("unknown database error");
}

void DbiConnection::fail(std::string_view what, std::string_view sql) {
  fail(error_text(), what, sql);
}

void DbiConnection::fail(std::string msg, std::string_view what, std::string_view sql) {
  bool lost = looks_transient(msg) || (is_mysql() && dialect::mysql::looks_transient(msg));
  if (!lost) lost = !ping();
  // Only the head of the statement: batches are megabytes long.
  constexpr std::size_t kShown = 160;
  std::string head(sql.substr(0, kShown));
  if (sql.size() > kShown) head += "...";
  throw StoreError(fmt::format("{}: {} [{}]", what, msg, head), lost);
}

std::uint64_t DbiConnection::exec(const std::string& sql) {
  return query(sql).rows_affected();
}

DbiResult DbiConnection::query(const std::string& sql) {
  if (is_sqlite()) return sqlite_query(sql);
  dbi_result r = dbi_conn_query(conn_, sql.c_str());
  if (!r) fail("database statement failed", sql);
  return DbiResult(r);
}

DbiResult DbiConnection::sqlite_query(const std::string& sql) {
  sqlite3* handle = sqlite_handle();
  struct Finalize {
    void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
  };
  DbiResult::NativeTable t;
  const char* next = sql.c_str();
  const char* const end = next + sql.size();
  // Statement by statement, as sqlite3_exec would: schema scripts send several at once.
  while (next < end) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(handle, next, static_cast<int>(end - next), &raw, &next) != SQLITE_OK)
      fail(sqlite3_errmsg(handle), "database statement failed", sql);
    if (!raw) continue;  // only whitespace or a comment was left
    const std::unique_ptr<sqlite3_stmt, Finalize> st(raw);
    const auto n = static_cast<std::size_t>(sqlite3_column_count(raw));
    // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, also across DDL and
    // SELECTs; it is this statement's only when the statement changed something at all.
    const auto total_before = sqlite3_total_changes64(handle);
    for (;;) {
      const int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(sqlite3_errmsg(handle), "database statement failed", sql);
      if (t.columns == 0) t.columns = n;
      if (n != t.columns)
        fail("statements of one query return rows of different widths", "database query", sql);
      for (int i = 0; i < static_cast<int>(n); ++i) {
        switch (sqlite3_column_type(raw, i)) {
          case SQLITE_INTEGER:
            t.cells.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(raw, i)));
            break;
          case SQLITE_FLOAT:
            t.cells.emplace_back(sqlite3_column_double(raw, i));
            break;
          case SQLITE_NULL:
            t.cells.emplace_back(std::monostate{});
            break;
          default: {
            // Text and blobs, byte for byte (column_bytes after column_text: no conversion).
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
            t.cells.emplace_back(std::string(p ? p : "", sqlite3_column_bytes(raw, i)));
          }
        }
      }
    }
    t.affected = sqlite3_total_changes64(handle) == total_before
                     ? 0
                     : static_cast<std::uint64_t>(sqlite3_changes64(handle));
  }
  return DbiResult(std::move(t));
}

sqlite3* DbiConnection::sqlite_handle() const {
  return is_sqlite() ? static_cast<sqlite3*>(static_cast<dbi_conn_t*>(conn_)->connection) : nullptr;
}

pg_conn* DbiConnection::pg_handle() const {
  return is_pgsql() ? static_cast<pg_conn*>(static_cast<dbi_conn_t*>(conn_)->connection) : nullptr;
}

void DbiConnection::sqlite_exec_native(const std::string& sql) {
  sqlite3* handle = sqlite_handle();
  if (!handle) throw StoreError("sqlite_exec_native on a non-sqlite3 connection", false);
  char* err = nullptr;
  if (sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown sqlite3 error";
    sqlite3_free(err);
    throw StoreError(fmt::format("database statement failed: {} [{}]", msg, sql),
                     looks_transient(msg));
  }
}

std::string DbiConnection::quote(std::string_view s) {
  std::string out;
  append_quoted(out, s);
  return out;
}

void DbiConnection::append_quoted(std::string& out, std::string_view s) {
  // libdbi takes C strings: an embedded NUL would end the value early, which is safe (the
  // quoted literal stays closed) and matches what the original stored.
  std::string z(s.substr(0, s.find('\0')));
  char* quoted = nullptr;
  const std::size_t n = dbi_conn_quote_string_copy(conn_, z.c_str(), &quoted);
  if (n == 0 || !quoted) {
    std::free(quoted);
    fail("cannot quote string", z);
  }
  out.append(quoted, n);
  std::free(quoted);
}

void DbiConnection::begin() {
  // sqlite3: take the write lock up front. A deferred transaction that later needs to upgrade
  // its read lock fails with SQLITE_BUSY at once (the busy timeout does not apply), so two
  // writers on one file would abort each other instead of waiting.
  exec(is_sqlite() ? "BEGIN IMMEDIATE" : "BEGIN");
  in_tx_ = true;
}

void DbiConnection::commit() {
  try {
    exec("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
  in_tx_ = false;
}

void DbiConnection::rollback() noexcept {
  if (!in_tx_) return;
  in_tx_ = false;
  if (is_sqlite()) {
    sqlite3_exec(sqlite_handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    return;
  }
  dbi_result r = dbi_conn_query(conn_, "ROLLBACK");
  if (r) dbi_result_free(r);
}

bool DbiConnection::ping() {
  if (is_sqlite()) {
    // The driver's ping runs "SELECT 1" through its type guessing, which prints to stdout.
    sqlite3* handle = sqlite_handle();
    return handle && sqlite3_exec(handle, "SELECT 1", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  return dbi_conn_ping(conn_) == 1;
}

bool keep_drivers_loaded_for_sanitizers() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  static const bool pinned = [] {
    dbi_inst inst = nullptr;
    if (dbi_initialize_r(nullptr, &inst) < 0) return false;
    for (dbi_driver d = dbi_driver_list_r(nullptr, inst); d; d = dbi_driver_list_r(d, inst))
      dlopen(static_cast<dbi_driver_t*>(d)->filename, RTLD_NOW | RTLD_NODELETE);
    dbi_shutdown_r(inst);
    return true;
  }();
  return pinned;
#else
  return true;
#endif
}

}  // namespace smbta::store
