// SPDX-License-Identifier: GPL-3.0-or-later
// The fixed key and hello randoms shared by the aead_frame fuzz target and its seed writer.
#pragma once

#include <cstdint>

#include "smbta/aead_frame.h"

namespace smbta::fuzz {

// Why: the fuzzer can only reach past the handshake when the decoder's own random is fixed;
// the seeds are sealed under the keys these values give.
inline AesKey aead_key() {
  AesKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>('a' + i);
  return k;
}

inline AeadRandom aead_server_random() {
  AeadRandom r;
  r.fill(0x5a);
  return r;
}

inline AeadRandom aead_client_random() {
  AeadRandom r;
  r.fill(0xa5);
  return r;
}

}  // namespace smbta::fuzz
