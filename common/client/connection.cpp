// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/connection.h"

#include "smbta/key_file.h"
#include "smbta/net.h"

namespace smbta::client {

std::string ConnectionOptions::endpoint() const {
  if (unix_socket) return "unix socket " + socket_path;
  return host + " port " + std::to_string(port);
}

std::optional<AesKey> load_key(const ConnectionOptions& o) {
  if (o.key_file.empty()) return std::nullopt;
  try {
    return load_key_file(o.key_file);
  } catch (const std::runtime_error& e) {
    throw KeyFileError(e.what());
  }
}

UniqueFd connect_to_smbtad(const ConnectionOptions& o) {
  if (o.unix_socket) return net::connect_unix(o.socket_path);
  return net::connect_tcp(o.host, o.port);
}

}  // namespace smbta::client
