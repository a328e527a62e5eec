// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/pg_conninfo.h"

#include <sstream>
#include <string>

namespace smbta::testing {

store::DbParams pgsql_params_from_conninfo(std::string_view conninfo) {
  store::DbParams p;
  p.driver = "pgsql";
  std::istringstream in{std::string(conninfo)};
  std::string kv;
  while (in >> kv) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "host") p.host = v;
    if (k == "port") p.port = v;
    if (k == "user") p.user = v;
    if (k == "password") p.password = v;
    if (k == "dbname") p.name = v;
  }
  return p;
}

}  // namespace smbta::testing
