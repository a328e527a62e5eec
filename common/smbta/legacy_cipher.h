// SPDX-License-Identifier: GPL-3.0-or-later
// SMBTA's original body encryption (AES-128-ECB with a trailing filler block) over OpenSSL EVP.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_cipher_ctx_st;

namespace smbta {

using AesKey = std::array<std::uint8_t, 16>;

// Why: the Samba module and smbtad 1.2.x encrypt bodies this way; smbta must read and write it
// byte for byte. It is weak (ECB, no MAC); the man pages say so. One object holds two EVP
// contexts initialised once, so per-record work is only the block operations. Not thread-safe:
// each connection owns its own.
class LegacyCipher {
 public:
  explicit LegacyCipher(const AesKey& key);
  ~LegacyCipher();
  LegacyCipher(LegacyCipher&&) noexcept;
  LegacyCipher& operator=(LegacyCipher&&) noexcept;

  // 16 * (n / 16 + 1) bytes: full blocks, then the tail padded with '.' to a whole block.
  std::string encrypt(std::string_view plain);
  void encrypt(std::string_view plain, std::string& out);
  // Decrypts the whole blocks of `cipher` into `out`; a partial trailing block is ignored.
  void decrypt(std::string_view cipher, std::string& out);

 private:
  struct CtxDeleter {
    void operator()(evp_cipher_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> enc_;
  std::unique_ptr<evp_cipher_ctx_st, CtxDeleter> dec_;
};

}  // namespace smbta
