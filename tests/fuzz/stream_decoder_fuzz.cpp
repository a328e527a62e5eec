// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: the V2 stream decoder, plain and encrypted, fed in arbitrary chunks.
//
// Input: byte 0 picks the mode (bit 0: decode with the test key) and the chunk size (bits 1-7);
// the rest is the stream. Properties: the decoder never reads past what it holds, a dead stream
// stays dead, and every record it returns survives encode -> decode unchanged.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "smbta/stream_decoder.h"

namespace {

smbta::AesKey fuzz_key() {
  smbta::AesKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>('a' + i);
  return k;
}

void check_round_trip(const smbta::Record& r) {
  const std::string frame = smbta::encode_frame(r);
  smbta::StreamDecoder again;
  again.feed(frame);
  smbta::Record back;
  SMBTA_FUZZ_CHECK(again.next(back) == smbta::StreamDecoder::Status::kRecord);
  SMBTA_FUZZ_CHECK(back == r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool encrypted = data[0] & 1;
  const std::size_t chunk = (data[0] >> 1) + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  using Status = smbta::StreamDecoder::Status;
  smbta::StreamDecoder d({.max_body = 4096},
                         encrypted ? std::optional<smbta::AesKey>(fuzz_key()) : std::nullopt);
  smbta::Record r;
  bool dead = false;
  for (std::size_t at = 0; at < stream.size() && !dead; at += chunk) {
    d.feed(stream.substr(at, chunk));
    for (;;) {
      const Status st = d.next(r);
      if (st == Status::kRecord) {
        check_round_trip(r);
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
    SMBTA_FUZZ_CHECK(d.buffered() <= stream.size());
  }
  if (!dead) (void)d.finish();
  return 0;
}
