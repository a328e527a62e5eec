// SPDX-License-Identifier: GPL-3.0-or-later
// The authenticated transport: hello frames, HKDF key derivation, AES-256-GCM sealed frames.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "smbta/legacy_cipher.h"
#include "smbta/protocol_error.h"

struct evp_cipher_ctx_st;

namespace smbta {

// docs/protocol.md, "Authenticated transport": the sizes every implementation must agree on.
inline constexpr std::size_t kAeadRandomSize = 32;                  // each side's hello random
inline constexpr std::size_t kAeadHelloBody = 1 + kAeadRandomSize;  // version '1' + random
inline constexpr std::size_t kAeadSeqSize = 8;                      // big-endian sequence number
inline constexpr std::size_t kAeadTagSize = 16;                     // GCM tag
inline constexpr std::size_t kAeadOverhead = kAeadSeqSize + kAeadTagSize;
inline constexpr char kAeadHelloFlag = 'H';
inline constexpr char kAeadSealedFlag = 'A';

using AeadRandom = std::array<std::uint8_t, kAeadRandomSize>;
using AeadKey = std::array<std::uint8_t, 32>;

// Why: both directions of one connection get their own AES-256 key, derived from the shared key
// file and both sides' randoms, so a frame of one connection (or one direction) never
// authenticates on another, and a recorded connection cannot be replayed to a fresh smbtad.
struct AeadKeys {
  AeadKey to_server;  // module -> smbtad, client -> smbtad
  AeadKey to_client;  // smbtad -> client
};

// HKDF-SHA256 (OpenSSL 3's EVP_KDF "HKDF"): IKM = the key file's 16 bytes, salt = the client's
// hello frame then the server's (header and body, 59 bytes each: every byte of the handshake
// is bound to the keys), info = "smbta aead v1 to-server" / "... to-client". Throws on failure.
AeadKeys derive_aead_keys(const AesKey& psk, std::string_view client_hello,
                          std::string_view server_hello);

// 32 bytes from OpenSSL's CSPRNG; throws when it fails.
AeadRandom make_aead_random();

// Appends a hello frame (header flag 'H', body '1' + random).
void append_aead_hello(std::string& out, const AeadRandom& random);
// Checks a hello body; kNone and `out` filled, or kAeadBadHello.
ProtocolError parse_aead_hello(std::string_view body, AeadRandom& out);

// Why: one GCM context per direction, keyed once; the sequence number is both the nonce and the
// replay/reorder check. Not thread-safe: one per connection and direction.
class AeadSealer {
 public:
  explicit AeadSealer(const AeadKey& key);
  ~AeadSealer();
  AeadSealer(AeadSealer&&) noexcept;
  AeadSealer& operator=(AeadSealer&&) noexcept;

  // Appends header ('A', length = 8 + n + 16) + sequence + ciphertext + tag of `plain` (n > 0).
  void seal(std::string_view plain, std::string& out);
  std::uint64_t next_sequence() const { return seq_; }

 private:
  struct CtxDeleter {
    void operator()(evp_cipher_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx_;
  std::uint64_t seq_ = 0;
};

// Why: the receiving half; it refuses a frame whose sequence is not the next one (replayed,
// reordered, or a frame missing) before it spends work on the tag, so the log can say which.
class AeadOpener {
 public:
  explicit AeadOpener(const AeadKey& key);
  ~AeadOpener();
  AeadOpener(AeadOpener&&) noexcept;
  AeadOpener& operator=(AeadOpener&&) noexcept;

  // `header` is the frame's 26 bytes (authenticated too), `body` its body. kNone and the
  // plaintext in `plain`, or kAeadShortFrame / kAeadOutOfSequence / kAeadAuthFailed. After a
  // failure the opener is unusable (the connection must be closed).
  ProtocolError open(std::string_view header, std::string_view body, std::string& plain);
  std::uint64_t expected_sequence() const { return seq_; }
  // The sequence number the last refused frame carried (for the log line).
  std::uint64_t last_seen_sequence() const { return seen_; }

 private:
  struct CtxDeleter {
    void operator()(evp_cipher_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> ctx_;
  std::uint64_t seq_ = 0;
  std::uint64_t seen_ = 0;
};

}  // namespace smbta
