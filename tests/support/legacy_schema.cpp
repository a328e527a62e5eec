// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/legacy_schema.h"

namespace smbta::testing {

void create_126_schema(store::DbiConnection& db) {
  db.exec(
      "CREATE TABLE data (vfs_id integer, username varchar, usersid varchar, share varchar, "
      "domain varchar, timestamp timestamp, string1 varchar, length integer, result bigint, "
      "string2 varchar)");
  db.exec(
      "CREATE TABLE status (smbtad_control_entry varchar, smbtad_version varchar, "
      "smbtad_database_version varchar, smbtad_client_port integer, "
      "smbtad_unix_socket_clients integer, smbtad_dbname varchar, smbtad_dbhost varchar, "
      "smbtad_dbuser varchar, smbtad_dbdriver varchar, smbtad_maintenance_timer_str varchar, "
      "smbtad_maintenance_run_time integer, smbtad_debug_level integer, smbtad_precision "
      "integer, smbtad_daemon integer, smbtad_use_db integer, smbtad_config_file varchar, "
      "smbtad_ip varchar)");
  db.exec(
      "INSERT INTO status (smbtad_control_entry, smbtad_version, smbtad_database_version) "
      "VALUES ('SMBTAD', '1.2.6', '1.2.6')");
  db.exec(
      "CREATE TABLE modules (module_subrelease_number integer, module_common_blocks_overflow "
      "integer, module_ip_address varchar UNIQUE)");
}

}  // namespace smbta::testing
