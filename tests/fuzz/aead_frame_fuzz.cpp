// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: the authenticated transport's frame decoder (hello, sealed frames), both sides.
//
// Input: byte 0 picks the side (bit 0 set: a client that sent its hello and reads smbtad's
// stream; clear: smbtad reading a module's stream with --transport authenticated) and the chunk
// size (bits 1-7); the rest is the stream. The decoder's own hello random is fixed
// (aead_fixture.h), so seeds sealed under it reach the record parser. Properties: every error
// closes the stream and a dead stream stays dead; nothing is delivered before the handshake;
// every record delivered survives encode -> decode; smbtad answers at most one hello.
#include <cstdint>
#include <string_view>

#include "aead_fixture.h"
#include "fuzz_check.h"
#include "smbta/stream_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool client_side = data[0] & 1;
  const std::size_t chunk = (data[0] >> 1) + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  using Status = smbta::StreamDecoder::Status;
  smbta::StreamDecoder d({.max_body = 4096}, smbta::fuzz::aead_key());
  if (client_side) {
    d.expect_server_hello(smbta::fuzz::aead_client_random());
  } else {
    d.require_authenticated(true);
    d.set_random_source(smbta::fuzz::aead_server_random);
  }
  smbta::Record r;
  bool dead = false;
  int replies = 0;
  for (std::size_t at = 0; at < stream.size() && !dead; at += chunk) {
    d.feed(stream.substr(at, chunk));
    for (;;) {
      const Status st = client_side ? [&] {
        std::string_view body;
        const Status s = d.next_body(body);
        if (s == Status::kRecord) SMBTA_FUZZ_CHECK(!body.empty());
        return s;
      }()
                                    : d.next(r);
      if (!d.take_reply().empty()) ++replies;
      if (st == Status::kRecord) {
        SMBTA_FUZZ_CHECK(d.authenticated());
        if (!client_side) {
          smbta::StreamDecoder again;
          again.feed(smbta::encode_frame(r));
          smbta::Record back;
          SMBTA_FUZZ_CHECK(again.next(back) == Status::kRecord);
          SMBTA_FUZZ_CHECK(back == r);
        }
      } else if (st == Status::kFatal) {
        SMBTA_FUZZ_CHECK(smbta::is_stream_fatal(d.error()));
        SMBTA_FUZZ_CHECK(d.next(r) == Status::kFatal);
        dead = true;
        break;
      } else if (st == Status::kBadRecord) {
        SMBTA_FUZZ_CHECK(!smbta::is_stream_fatal(d.error()));
      } else {
        break;
      }
    }
    SMBTA_FUZZ_CHECK(replies <= (client_side ? 0 : 1));
    SMBTA_FUZZ_CHECK(d.buffered() <= stream.size());
  }
  if (!dead) (void)d.finish();
  return 0;
}
