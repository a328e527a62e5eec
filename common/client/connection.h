// SPDX-License-Identifier: GPL-3.0-or-later
// How a client reaches smbtad's client port: the options, the connection and the key.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "client/client_channel.h"
#include "smbta/defaults.h"
#include "smbta/legacy_cipher.h"
#include "smbta/unique_fd.h"

namespace smbta::client {

// Why: smbtaquery, smbtamonitor and rrddriver all talk to the same port with the same choices
// (TCP or the Unix socket, an optional key); one value and one connect function keep their
// defaults and their behaviour from drifting apart (they were written twice).
struct ConnectionOptions {
  std::string host = "localhost";
  int port = SMBTA_DEFAULT_CLIENT_PORT;  // the 1.2.x real-time tools defaulted to 3390
  bool unix_socket = false;
  std::string socket_path = SMBTA_DEFAULT_CLIENT_SOCKET;
  std::string key_file;  // empty: requests go out unencrypted
  // kAuthenticated (--transport authenticated) needs key_file: AES-256-GCM with keys per
  // connection, as smbtad --transport authenticated demands.
  ClientTransport transport = ClientTransport::kLegacy;

  // "localhost port 3491" or "unix socket /var/tmp/stadsocket_client"
  std::string endpoint() const;
};

// Why: a key file that cannot be used is the user's setup problem, not a broken connection;
// its own type lets each program map it to its exit status (the real-time tools report it as a
// usage error, smbtaquery like a connection error).
class KeyFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The key of `o.key_file`, nullopt when none is configured. Throws KeyFileError.
std::optional<AesKey> load_key(const ConnectionOptions& o);

// Opens the configured TCP or Unix connection (blocking); throws std::runtime_error.
UniqueFd connect_to_smbtad(const ConnectionOptions& o);

}  // namespace smbta::client
