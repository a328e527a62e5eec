// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/query_client.h"

#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "query/engine.h"
#include "query/result_codec.h"
#include "smbta/v2_codec.h"

namespace smbta::client {
namespace {

using query::QueryError;
using query::ResultTable;

// The tables of a "QR" body, or the exception a "QE" or generic error body stands for.
std::vector<ResultTable> interpret_reply(std::string_view body, bool encrypted) {
  if (body.starts_with("QR")) return query::decode_results(body.substr(2), encrypted ? 16 : 0);
  if (body.starts_with("QE")) {
    SubBlockReader rd(body.substr(2));
    std::string_view msg, kind;
    if (rd.next(msg) != ProtocolError::kNone)
      throw std::runtime_error("smbtad sent a malformed error reply");
    int k = static_cast<int>(QueryError::Kind::kDatabase);
    if (rd.next(kind) == ProtocolError::kNone && kind.size() == 1 && kind[0] >= '1' &&
        kind[0] <= '4')
      k = kind[0] - '0';
    throw QueryError(static_cast<QueryError::Kind>(k), std::string(msg));
  }
  {
    // smbtad's generic error reply: monitor id 0, then "ERROR: <reason>".
    SubBlockReader rd(body);
    std::string_view id, msg;
    if (rd.next(id) == ProtocolError::kNone && id == "0" && rd.next(msg) == ProtocolError::kNone &&
        msg.starts_with("ERROR: "))
      throw QueryError(QueryError::Kind::kDatabase,
                       "smbtad: " + std::string(msg.substr(std::string_view("ERROR: ").size())));
  }
  if (encrypted)
    throw std::runtime_error(
        "smbtad's encrypted reply does not decrypt with this key: key mismatch? (-k must name "
        "a file with the key smbtad uses for clients: its -K, else its -k)");
  throw std::runtime_error("smbtad sent an unexpected reply (not QR/QE)");
}

}  // namespace

std::vector<ResultTable> query_over_socket(ClientChannel& channel, std::string_view text,
                                           int timeout_ms) {
  const int wait = timeout_ms > 0 ? timeout_ms : -1;
  channel.send(query::query_request_body(text), wait);
  std::string_view body;
  if (!channel.receive(body, wait)) throw std::runtime_error("no reply from smbtad (timeout)");
  return interpret_reply(body, channel.last_encrypted());
}

std::vector<ResultTable> query_over_socket(int fd, std::string_view text, int timeout_ms,
                                           const AesKey* key) {
  ClientChannel channel(fd, key != nullptr ? std::optional<AesKey>(*key) : std::nullopt,
                        ClientTransport::kLegacy, kMaxReplyBody);
  return query_over_socket(channel, text, timeout_ms);
}

}  // namespace smbta::client
