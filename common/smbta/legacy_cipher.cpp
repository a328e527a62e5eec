// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/legacy_cipher.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace smbta {
namespace {

constexpr std::size_t kBlock = 16;

EVP_CIPHER_CTX* make_ctx(const AesKey& key, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  const int ok = encrypt ? EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, key.data(), nullptr)
                         : EVP_DecryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, key.data(), nullptr);
  if (ok != 1 || EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    throw std::runtime_error("cannot initialise AES-128-ECB");
  }
  return ctx;
}

// ECB without padding keeps no state between calls, so one initialised context serves any
// number of Update calls on whole blocks.
void run(EVP_CIPHER_CTX* ctx, bool encrypt, const unsigned char* in, std::size_t n,
         unsigned char* out) {
  int outl = 0;
  const int ok = encrypt ? EVP_EncryptUpdate(ctx, out, &outl, in, static_cast<int>(n))
                         : EVP_DecryptUpdate(ctx, out, &outl, in, static_cast<int>(n));
  if (ok != 1 || static_cast<std::size_t>(outl) != n)
    throw std::runtime_error("AES block operation failed");
}

}  // namespace

void LegacyCipher::CtxDeleter::operator()(evp_cipher_ctx_st* ctx) const {
  EVP_CIPHER_CTX_free(ctx);
}

LegacyCipher::LegacyCipher(const AesKey& key)
    : enc_(make_ctx(key, true)), dec_(make_ctx(key, false)) {}
LegacyCipher::~LegacyCipher() = default;
LegacyCipher::LegacyCipher(LegacyCipher&&) noexcept = default;
LegacyCipher& LegacyCipher::operator=(LegacyCipher&&) noexcept = default;

void LegacyCipher::encrypt(std::string_view plain, std::string& out) {
  const std::size_t full = plain.size() / kBlock * kBlock;
  out.resize(full + kBlock);
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (full > 0)
    run(enc_.get(), true, reinterpret_cast<const unsigned char*>(plain.data()), full, o);
  unsigned char filler[kBlock];
  for (std::size_t i = 0; i < kBlock; ++i) {
    filler[i] = full + i < plain.size() ? static_cast<unsigned char>(plain[full + i]) : '.';
  }
  run(enc_.get(), true, filler, kBlock, o + full);
}

std::string LegacyCipher::encrypt(std::string_view plain) {
  std::string out;
  encrypt(plain, out);
  return out;
}

void LegacyCipher::decrypt(std::string_view cipher, std::string& out) {
  const std::size_t full = cipher.size() / kBlock * kBlock;
  out.resize(full);
  if (full > 0)
    run(dec_.get(), false, reinterpret_cast<const unsigned char*>(cipher.data()), full,
        reinterpret_cast<unsigned char*>(out.data()));
}

}  // namespace smbta
