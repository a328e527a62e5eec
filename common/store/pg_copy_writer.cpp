// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/pg_copy_writer.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "store/event_store.h"
#include "store/event_text.h"

namespace smbta::store {
namespace {

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

// A lost server leaves the connection bad; anything else (a refused value, a constraint) is
// the statement's own fault.
[[noreturn]] void fail(PGconn* conn, std::string_view what, std::string_view detail) {
  std::string msg(detail);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  throw StoreError(fmt::format("{}: {}", what, msg.empty() ? "unknown error" : msg),
                   PQstatus(conn) != CONNECTION_OK);
}

Result exec(PGconn* conn, const char* sql, ExecStatusType expected, std::string_view what) {
  Result r(PQexec(conn, sql));
  if (!r) fail(conn, what, PQerrorMessage(conn));
  if (PQresultStatus(r.get()) != expected) fail(conn, what, PQresultErrorMessage(r.get()));
  return r;
}

std::int64_t parse_id(const PGresult* r, int row) {
  const char* s = PQgetvalue(r, row, 0);
  std::int64_t v = 0;
  const auto n = static_cast<std::size_t>(PQgetlength(r, row, 0));
  auto [p, ec] = std::from_chars(s, s + n, v);
  if (ec != std::errc() || p != s + n)
    throw StoreError(fmt::format("dictionary lookup returned the id '{}'", std::string_view(s, n)),
                     false);
  return v;
}

std::string_view cell(const PGresult* r, int row, int col) {
  return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
}

constexpr const char* kCopyEvents =
    "COPY smbta_events (ts, vfs_id, user_id, share_id, file_id, file2_id, length, mode, result, "
    "merged, client_id, latency_us) FROM STDIN";

// New values go into the dictionaries in one global order (COLLATE "C": byte order), so that
// two writers creating the same names wait for each other in the same order and cannot
// deadlock. The lookups run as a nested loop over the digest index (OFFSET 0 keeps the planner
// from turning them into a hash join over the whole dictionary: the temporary table has no
// statistics). Both statements go in one round trip; the second sees what the first inserted
// and what other writers committed meanwhile.
constexpr const char* kResolveStrings =
    "INSERT INTO smbta_strings (value) SELECT value FROM smbta_new_strings ORDER BY value "
    "COLLATE \"C\" ON CONFLICT DO NOTHING; "
    "SELECT s.id, s.value FROM smbta_new_strings n CROSS JOIN LATERAL (SELECT id, value FROM "
    "smbta_strings WHERE md5(value) = md5(n.value) AND value = n.value OFFSET 0) s";
constexpr const char* kResolveUsers =
    "INSERT INTO smbta_users (username, usersid, domain) SELECT username, usersid, domain FROM "
    "smbta_new_users ORDER BY username COLLATE \"C\", usersid COLLATE \"C\", domain COLLATE \"C\" "
    "ON CONFLICT DO NOTHING; "
    "SELECT u.id, u.username, u.usersid, u.domain FROM smbta_new_users n CROSS JOIN LATERAL "
    "(SELECT id, username, usersid, domain FROM smbta_users WHERE md5(username) = "
    "md5(n.username) AND md5(usersid) = md5(n.usersid) AND md5(domain) = md5(n.domain) AND "
    "username = n.username AND usersid = n.usersid AND domain = n.domain OFFSET 0) u";

}  // namespace

void append_copy_text(std::string& out, std::string_view s) {
  std::size_t from = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char* esc = c == '\\'   ? "\\\\"
                      : c == '\t' ? "\\t"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                                  : nullptr;
    if (!esc) continue;
    out.append(s.data() + from, i - from);
    out += esc;
    from = i + 1;
  }
  out.append(s.data() + from, s.size() - from);
}

void PgCopyWriter::add(const EventColumns& c) {
  append_event_values(rows_, c, '\t', "\\N");
  rows_ += '\n';
}

void PgCopyWriter::flush() {
  if (rows_.empty()) return;
  copy(kCopyEvents, rows_);
  rows_.clear();
}

void PgCopyWriter::discard() {
  rows_.clear();
  // Created inside a transaction that may have been rolled back: check again next time.
  temp_tables_session_ = 0;
}

void PgCopyWriter::copy(const char* statement, const std::string& data) {
  exec(conn(), statement, PGRES_COPY_IN, "COPY failed");
  // Pieces of at most 1 MiB: PQputCopyData takes an int length.
  constexpr std::size_t kPiece = 1 << 20;
  bool sent = true;
  for (std::size_t at = 0; sent && at < data.size(); at += kPiece) {
    const auto n = static_cast<int>(std::min(kPiece, data.size() - at));
    sent = PQputCopyData(conn(), data.data() + at, n) == 1;
  }
  // Ending the COPY is needed even after a failed send, to read the server's answer.
  const bool ended = PQputCopyEnd(conn(), sent ? nullptr : "client failed to send data") == 1;
  std::string error;
  while (PGresult* raw = PQgetResult(conn())) {
    Result r(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && error.empty()) error = PQresultErrorMessage(raw);
  }
  if (!sent || !ended) fail(conn(), "COPY failed", PQerrorMessage(conn()));
  if (!error.empty()) fail(conn(), "COPY failed", error);
}

void PgCopyWriter::ensure_temp_tables() {
  // Temporary tables belong to one server session; libdbi's ping may have opened a new one.
  const int session = PQbackendPID(conn());
  if (session != 0 && session == temp_tables_session_) return;
  // ON COMMIT DELETE ROWS: each transaction starts with empty tables. Inside the caller's
  // transaction; "already exists, skipping" NOTICEs are noise.
  exec(conn(),
       "SET LOCAL client_min_messages = warning; "
       "CREATE TEMPORARY TABLE IF NOT EXISTS smbta_new_strings (value text NOT NULL) ON COMMIT "
       "DELETE ROWS; "
       "CREATE TEMPORARY TABLE IF NOT EXISTS smbta_new_users (username text NOT NULL, usersid "
       "text NOT NULL, domain text NOT NULL) ON COMMIT DELETE ROWS",
       PGRES_COMMAND_OK, "cannot create the temporary dictionary tables");
  temp_tables_session_ = session;
}

void PgCopyWriter::string_ids(std::span<const std::string_view> values,
                              const std::function<void(std::string_view, std::int64_t)>& found) {
  if (values.empty()) return;
  ensure_temp_tables();
  scratch_.clear();
  for (std::string_view v : values) {
    append_copy_text(scratch_, v);
    scratch_ += '\n';
  }
  copy("COPY smbta_new_strings (value) FROM STDIN", scratch_);
  Result r = exec(conn(), kResolveStrings, PGRES_TUPLES_OK, "dictionary lookup failed");
  const int n = PQntuples(r.get());
  if (static_cast<std::size_t>(n) != values.size())
    throw StoreError(fmt::format("dictionary lookup returned {} of {} ids", n, values.size()),
                     false);
  for (int i = 0; i < n; ++i) found(cell(r.get(), i, 1), parse_id(r.get(), i));
  exec(conn(), "DELETE FROM smbta_new_strings", PGRES_COMMAND_OK, "dictionary lookup failed");
}

void PgCopyWriter::user_ids(std::span<const PgUser> users,
                            const std::function<void(const PgUser&, std::int64_t)>& found) {
  if (users.empty()) return;
  ensure_temp_tables();
  scratch_.clear();
  for (const PgUser& u : users) {
    append_copy_text(scratch_, u.user);
    scratch_ += '\t';
    append_copy_text(scratch_, u.sid);
    scratch_ += '\t';
    append_copy_text(scratch_, u.domain);
    scratch_ += '\n';
  }
  copy("COPY smbta_new_users (username, usersid, domain) FROM STDIN", scratch_);
  Result r = exec(conn(), kResolveUsers, PGRES_TUPLES_OK, "user lookup failed");
  const int n = PQntuples(r.get());
  if (static_cast<std::size_t>(n) != users.size())
    throw StoreError(fmt::format("user lookup returned {} of {} ids", n, users.size()), false);
  for (int i = 0; i < n; ++i)
    found(PgUser{cell(r.get(), i, 1), cell(r.get(), i, 2), cell(r.get(), i, 3)},
          parse_id(r.get(), i));
  exec(conn(), "DELETE FROM smbta_new_users", PGRES_COMMAND_OK, "user lookup failed");
}

}  // namespace smbta::store
