// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/query_client.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "query/engine.h"
#include "query/result_codec.h"
#include "smbta/net.h"
#include "smbta/stream_decoder.h"
#include "smbta/v2_codec.h"

namespace smbta::client {
namespace {

using query::QueryError;
using query::ResultTable;

// Reads what has arrived (at least one byte) into the decoder.
void receive_some(int fd, StreamDecoder& decoder, int timeout_ms) {
  constexpr std::size_t kChunk = 64 * 1024;
  for (;;) {
    if (timeout_ms > 0) {
      pollfd pfd{fd, POLLIN, 0};
      const int r = ::poll(&pfd, 1, timeout_ms);
      if (r == 0) throw std::runtime_error("no reply from smbtad (timeout)");
      if (r < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
      }
    }
    const auto buf = decoder.prepare(kChunk);
    const ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got == 0) throw std::runtime_error("smbtad closed the connection");
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("read from smbtad: {}", std::strerror(errno)));
    }
    decoder.commit(static_cast<std::size_t>(got));
    return;
  }
}

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

std::vector<ResultTable> query_over_socket(int fd, std::string_view text, int timeout_ms,
                                           const AesKey* key) {
  std::optional<LegacyCipher> cipher;
  if (key != nullptr) cipher.emplace(*key);
  const std::string req = frame_body(query::query_request_body(text), cipher ? &*cipher : nullptr);
  net::write_all(fd, req.data(), req.size());

  StreamDecoder decoder(DecoderLimits{kMaxReplyBody},
                        key != nullptr ? std::optional<AesKey>(*key) : std::nullopt);
  for (;;) {
    std::string_view body;
    switch (decoder.next_body(body)) {
      case StreamDecoder::Status::kRecord:
        return interpret_reply(body, decoder.last_header().encrypted);
      case StreamDecoder::Status::kFatal:
        if (decoder.error() == ProtocolError::kEncryptedWithoutKey)
          throw std::runtime_error("smbtad sent an encrypted reply; give the key (-k)");
        throw std::runtime_error("smbtad sent a malformed reply header");
      case StreamDecoder::Status::kNeedMore:
      case StreamDecoder::Status::kBadRecord:  // next_body never drops a frame
        receive_some(fd, decoder, timeout_ms);
        break;
    }
  }
}

}  // namespace smbta::client
