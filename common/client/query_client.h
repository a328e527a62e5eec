// SPDX-License-Identifier: GPL-3.0-or-later
// The client end of smbtad's query exchange (the wire format is in query/result_codec.h).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "client/client_channel.h"
#include "query/result.h"
#include "smbta/legacy_cipher.h"

namespace smbta::client {

// Upper bound of a reply body a client accepts (a `list files` answer can be large).
inline constexpr std::size_t kMaxReplyBody = 256 * 1024 * 1024;

// Sends `text` on a connected blocking socket (borrowed, not closed) and reads the one reply
// frame through a StreamDecoder, as the monitor client does. Throws query::QueryError with the
// server's kind and message for "QE" (and smbtad's generic error reply), std::runtime_error for
// transport and format problems (connection closed, malformed or oversized reply), and
// std::length_error for a query over 9999 bytes. `timeout_ms` bounds each wait for reply bytes
// (0 = forever). With `key`, the request is encrypted with the legacy cipher (as smbtad
// --require-client-key demands) and encrypted replies are decrypted; their filler block is
// ignored. The exchange is strictly request/reply, so nothing follows the reply on the socket.
std::vector<query::ResultTable> query_over_socket(int fd, std::string_view text, int timeout_ms = 0,
                                                  const AesKey* key = nullptr);
// The same exchange on a channel that may carry several (smbtaquery sends one query per -q, -f
// or -x part on one connection), in whichever transport it was opened with.
std::vector<query::ResultTable> query_over_socket(ClientChannel& channel, std::string_view text,
                                                  int timeout_ms = 0);

}  // namespace smbta::client
