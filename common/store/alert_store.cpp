// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/alert_store.h"

#include <fmt/format.h>

#include "store/schema.h"

namespace smbta::store::alerts {

std::string create_sql(const DbiConnection& db) {
  // The names are text (paths and names can be long); MySQL compares them byte-wise like the
  // other tables. No index: alerts are rare, and the list is read whole.
  if (db.is_mysql())
    return "CREATE TABLE IF NOT EXISTS smbta_alerts (started bigint NOT NULL, ended bigint, kind "
           "varchar(32) NOT NULL, username text NOT NULL, domain text NOT NULL, share text NOT "
           "NULL, events bigint NOT NULL, rate bigint NOT NULL, threshold bigint NOT NULL, "
           "baseline bigint NOT NULL, sample text NOT NULL) ENGINE=InnoDB DEFAULT "
           "CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
  return "CREATE TABLE IF NOT EXISTS smbta_alerts (started bigint NOT NULL, ended bigint, kind "
         "varchar(32) NOT NULL, username text NOT NULL, domain text NOT NULL, share text NOT "
         "NULL, events bigint NOT NULL, rate bigint NOT NULL, threshold bigint NOT NULL, "
         "baseline bigint NOT NULL, sample text NOT NULL)";
}

void create_table(DbiConnection& db) {
  db.exec(create_sql(db));
}

void insert(DbiConnection& db, const StoredAlert& a) {
  // A database made by an smbtad before alerts existed has no table yet.
  if (!schema::has_table(db, kTable)) create_table(db);
  db.exec(fmt::format(
      "INSERT INTO smbta_alerts (started, ended, kind, username, domain, share, events, rate, "
      "threshold, baseline, sample) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
      a.started_ms, a.ended_ms ? std::to_string(*a.ended_ms) : std::string("NULL"),
      db.quote(a.kind), db.quote(a.user), db.quote(a.domain), db.quote(a.share), a.events, a.rate,
      a.threshold, a.baseline, db.quote(a.sample)));
}

void finish(DbiConnection& db, const StoredAlert& a) {
  if (!schema::has_table(db, kTable)) create_table(db);
  db.exec(fmt::format(
      "UPDATE smbta_alerts SET ended = {}, events = {} WHERE started = {} AND kind = {} AND "
      "username = {} AND domain = {} AND share = {}",
      a.ended_ms.value_or(a.started_ms), a.events, a.started_ms, db.quote(a.kind), db.quote(a.user),
      db.quote(a.domain), db.quote(a.share)));
}

}  // namespace smbta::store::alerts
