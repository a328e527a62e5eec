// SPDX-License-Identifier: GPL-3.0-or-later
// The PostgreSQL hot path: events and new dictionary values sent with COPY FROM STDIN on the
// libpq connection of a libdbi connection.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "store/dbi_connection.h"
#include "store/sqlite_writer.h"  // EventColumns

namespace smbta::store {

// Appends `s` in COPY's text format: backslash, tab, newline and carriage return escaped, every
// other byte as it is (the client encoding is UTF-8, whose multi-byte sequences never contain
// those bytes, so byte-wise escaping cannot split a character).
void append_copy_text(std::string& out, std::string_view s);

// The three fields that make up one smbta_users entry.
struct PgUser {
  std::string_view user, sid, domain;
};

// Why: through libdbi every row is SQL text that the server parses; a multi-row INSERT of
// integers cost PostgreSQL more CPU than storing the rows (62-72k rows/s). COPY sends the
// same rows as tab-separated lines the server reads without a parser, and new dictionary
// values go into a temporary table the same way, then into the dictionaries with one query.
// It runs inside the transactions libdbi begins and commits on the same connection.
class PgCopyWriter {
 public:
  // The libpq handle is taken from `db` for every statement: libdbi's ping reconnects.
  explicit PgCopyWriter(DbiConnection& db) : db_(db) {}
  PgCopyWriter(const PgCopyWriter&) = delete;
  PgCopyWriter& operator=(const PgCopyWriter&) = delete;

  // Queues one event row.
  void add(const EventColumns& row);
  // Sends the queued rows with one COPY. Throws StoreError.
  void flush();
  // Forgets queued rows and the state of this transaction (after an error or a rollback).
  void discard();
  // The ids of `values` (distinct), inserting the missing ones: one COPY and one query.
  // `found(value, id)` is called once per value. Throws StoreError when a value has no id.
  void string_ids(std::span<const std::string_view> values,
                  const std::function<void(std::string_view, std::int64_t)>& found);
  void user_ids(std::span<const PgUser> users,
                const std::function<void(const PgUser&, std::int64_t)>& found);

 private:
  void copy(const char* statement, const std::string& data);
  void ensure_temp_tables();

  pg_conn* conn() const { return db_.pg_handle(); }

  DbiConnection& db_;
  std::string rows_;  // COPY text of the queued rows
  std::string scratch_;
  int temp_tables_session_ = 0;  // backend pid of the session that has the temporary tables
};

}  // namespace smbta::store
