// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/aead_frame.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

#include "smbta/v2_codec.h"

namespace smbta {
namespace {

constexpr std::string_view kInfoToServer = "smbta aead v1 to-server";
constexpr std::string_view kInfoToClient = "smbta aead v1 to-client";

void hkdf(const AesKey& psk, std::span<const std::uint8_t> salt, std::string_view info,
          AeadKey& out) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) throw std::runtime_error("OpenSSL has no HKDF");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) throw std::runtime_error("EVP_KDF_CTX_new failed");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(psk.data()),
                                        psk.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) throw std::runtime_error("HKDF-SHA256 failed");
}

EVP_CIPHER_CTX* make_gcm(const AeadKey& key, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  const int ok = encrypt ? EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), nullptr)
                         : EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), nullptr);
  if (ok != 1) {
    EVP_CIPHER_CTX_free(ctx);
    throw std::runtime_error("cannot initialise AES-256-GCM");
  }
  return ctx;
}

// 96-bit nonce: 4 zero bytes, then the sequence number big-endian. The key is fresh per
// connection and direction, so the sequence alone never repeats a nonce under one key.
std::array<unsigned char, 12> nonce_for(std::uint64_t seq) {
  std::array<unsigned char, 12> n{};
  for (int i = 0; i < 8; ++i) n[4 + i] = static_cast<unsigned char>(seq >> (56 - 8 * i));
  return n;
}

void put_seq(char* p, std::uint64_t seq) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(seq >> (56 - 8 * i));
}

std::uint64_t get_seq(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

const unsigned char* uc(const char* p) {
  return reinterpret_cast<const unsigned char*>(p);
}

}  // namespace

AeadKeys derive_aead_keys(const AesKey& psk, std::string_view client_hello,
                          std::string_view server_hello) {
  std::string transcript;
  transcript.reserve(client_hello.size() + server_hello.size());
  transcript.append(client_hello).append(server_hello);
  const std::span<const std::uint8_t> salt(reinterpret_cast<const std::uint8_t*>(transcript.data()),
                                           transcript.size());
  AeadKeys k;
  hkdf(psk, salt, kInfoToServer, k.to_server);
  hkdf(psk, salt, kInfoToClient, k.to_client);
  return k;
}

AeadRandom make_aead_random() {
  AeadRandom r;
  if (RAND_bytes(r.data(), static_cast<int>(r.size())) != 1)
    throw std::runtime_error("the random generator failed");
  return r;
}

void append_aead_hello(std::string& out, const AeadRandom& random) {
  append_header(out, kAeadHelloBody, kAeadHelloFlag);
  out.push_back('1');
  out.append(reinterpret_cast<const char*>(random.data()), random.size());
}

ProtocolError parse_aead_hello(std::string_view body, AeadRandom& out) {
  if (body.size() != kAeadHelloBody || body[0] != '1') return ProtocolError::kAeadBadHello;
  std::memcpy(out.data(), body.data() + 1, kAeadRandomSize);
  return ProtocolError::kNone;
}

void AeadSealer::CtxDeleter::operator()(evp_cipher_ctx_st* ctx) const {
  EVP_CIPHER_CTX_free(ctx);
}
AeadSealer::AeadSealer(const AeadKey& key) : ctx_(make_gcm(key, true)) {}
AeadSealer::~AeadSealer() = default;
AeadSealer::AeadSealer(AeadSealer&&) noexcept = default;
AeadSealer& AeadSealer::operator=(AeadSealer&&) noexcept = default;

void AeadSealer::seal(std::string_view plain, std::string& out) {
  if (plain.empty()) throw std::invalid_argument("AEAD frame with an empty body");
  const std::size_t start = out.size();
  append_header(out, kAeadOverhead + plain.size(), kAeadSealedFlag);
  out.resize(start + kHeaderSize + kAeadOverhead + plain.size());
  char* seq_at = out.data() + start + kHeaderSize;
  put_seq(seq_at, seq_);
  const auto nonce = nonce_for(seq_);
  EVP_CIPHER_CTX* c = ctx_.get();
  int outl = 0;
  // AAD: the header and the sequence, so neither the flag, the length nor the number can be
  // changed without the tag failing.
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      EVP_EncryptUpdate(c, nullptr, &outl, uc(out.data() + start),
                        static_cast<int>(kHeaderSize + kAeadSeqSize)) != 1 ||
      EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(seq_at + kAeadSeqSize), &outl,
                        uc(plain.data()), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(c, nullptr, &outl) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kAeadTagSize,
                          seq_at + kAeadSeqSize + plain.size()) != 1) {
    out.resize(start);
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  ++seq_;
}

void AeadOpener::CtxDeleter::operator()(evp_cipher_ctx_st* ctx) const {
  EVP_CIPHER_CTX_free(ctx);
}
AeadOpener::AeadOpener(const AeadKey& key) : ctx_(make_gcm(key, false)) {}
AeadOpener::~AeadOpener() = default;
AeadOpener::AeadOpener(AeadOpener&&) noexcept = default;
AeadOpener& AeadOpener::operator=(AeadOpener&&) noexcept = default;

ProtocolError AeadOpener::open(std::string_view header, std::string_view body, std::string& plain) {
  if (header.size() != kHeaderSize || body.size() <= kAeadOverhead)
    return ProtocolError::kAeadShortFrame;
  seen_ = get_seq(body.data());
  if (seen_ != seq_) return ProtocolError::kAeadOutOfSequence;
  const std::size_t n = body.size() - kAeadOverhead;
  plain.resize(n);
  const auto nonce = nonce_for(seq_);
  EVP_CIPHER_CTX* c = ctx_.get();
  int outl = 0;
  std::array<char, kHeaderSize + kAeadSeqSize> aad;
  std::memcpy(aad.data(), header.data(), kHeaderSize);
  std::memcpy(aad.data() + kHeaderSize, body.data(), kAeadSeqSize);
  std::array<char, kAeadTagSize> tag;
  std::memcpy(tag.data(), body.data() + kAeadSeqSize + n, kAeadTagSize);
  const bool ok =
      EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
      EVP_DecryptUpdate(c, nullptr, &outl, uc(aad.data()), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(c, reinterpret_cast<unsigned char*>(plain.data()), &outl,
                        uc(body.data() + kAeadSeqSize), static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kAeadTagSize, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(c, nullptr, &outl) == 1;
  if (!ok) {
    plain.clear();
    return ProtocolError::kAeadAuthFailed;
  }
  ++seq_;
  return ProtocolError::kNone;
}

}  // namespace smbta
