// SPDX-License-Identifier: GPL-3.0-or-later
#include "writer_config.h"

#include "smbta/version.h"

namespace smbtad {

WriterConfig writer_config(const Options& o) {
  WriterConfig wc;
  wc.db = o.db;
  wc.spool_dir = o.spool_dir;
  wc.maintenance_interval_s = o.maintenance_interval_s;
  wc.retention_s = o.retention_s;
  wc.retention_text = o.retention_text;
  wc.rollups = o.rollups;
  wc.file_rollup = o.file_rollup;
  auto& st = wc.status;
  st.version = SMBTA_VERSION;
  st.client_port = o.client_port();
  st.unix_socket_clients = o.client_listeners.unix_socket;
  st.dbname = o.db.name;
  st.dbhost = o.db.host;
  st.dbuser = o.db.user;
  st.dbdriver = o.db.driver;
  st.maintenance_timer = o.maintenance_interval_text;
  st.maintenance_run_time_s = o.retention_s;
  st.debug_level = o.debug_level;
  st.precision = o.precision;
  st.daemon = !o.interactive;
  st.use_db = o.use_db;
  st.config_file = o.config_file;
  st.bind_ip = o.bind_ip;
  // For smbtad-report (smbta_settings): where modules and clients connect, the database file.
  st.module_port = o.module_listeners.tcp ? o.inet_port : 0;
  st.module_socket = o.module_listeners.unix_socket ? o.unix_socket_path : "";
  st.client_socket = o.client_listeners.unix_socket ? o.client_socket_path : "";
  st.database = smbta::store::describe_location(o.db);
  return wc;
}

}  // namespace smbtad
