// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/password_hash.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <memory>
#include <semaphore>
#include <stdexcept>
#include <vector>

#include "smbta/v2_codec.h"

namespace smbtad::web {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;
// Limits on parameters read from the file: a damaged or hostile entry must not make one login
// allocate gigabytes or run for minutes.
constexpr std::uint64_t kMaxN = 1 << 20;
constexpr std::uint32_t kMaxR = 32, kMaxP = 16;

// Why: each derivation holds 128 * N * r bytes (32 MiB by default); with every web thread
// logging in at once memory would grow with the thread count. Two at a time bound it.
std::counting_semaphore<2> g_derivations(2);

struct KdfDeleter {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

std::vector<unsigned char> derive(std::string_view password, const std::vector<unsigned char>& salt,
                                  const ScryptParams& p) {
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) throw std::runtime_error("OpenSSL offers no SCRYPT key derivation");
  std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) throw std::runtime_error("EVP_KDF_CTX_new failed");
  std::uint64_t n = p.n;
  std::uint32_t r = p.r, par = p.p;
  std::uint64_t maxmem = 256ull * 1024 * 1024 * 16;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                        const_cast<unsigned char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  std::vector<unsigned char> key(kKeyBytes);
  g_derivations.acquire();
  const int ok = EVP_KDF_derive(ctx.get(), key.data(), key.size(), params);
  g_derivations.release();
  if (ok != 1) throw std::runtime_error("scrypt key derivation failed");
  return key;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::vector<unsigned char> from_hex(std::string_view s, std::string_view what) {
  if (s.size() % 2 != 0 || s.empty())
    throw std::runtime_error("password hash: the " + std::string(what) + " is not hex");
  std::vector<unsigned char> out(s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      throw std::runtime_error("password hash: the " + std::string(what) + " is not hex");
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

// The parts of an encoded hash, checked.
struct Parsed {
  ScryptParams params;
  std::vector<unsigned char> salt, key;
};

Parsed parse(std::string_view encoded) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto d = encoded.find('$', start);
    parts.push_back(encoded.substr(start, d == std::string_view::npos ? d : d - start));
    if (d == std::string_view::npos) break;
    start = d + 1;
  }
  if (parts.size() != 6 || parts[0] != "scrypt")
    throw std::runtime_error("password hash: not of the form scrypt$N$r$p$salt$hash");
  std::uint64_t n = 0, r = 0, p = 0;
  if (!smbta::parse_decimal(parts[1], n) || !smbta::parse_decimal(parts[2], r) ||
      !smbta::parse_decimal(parts[3], p))
    throw std::runtime_error("password hash: N, r and p must be numbers");
  if (n < 2 || n > kMaxN || (n & (n - 1)) != 0 || r < 1 || r > kMaxR || p < 1 || p > kMaxP)
    throw std::runtime_error("password hash: scrypt parameters out of range");
  Parsed out;
  out.params = {n, static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(p)};
  out.salt = from_hex(parts[4], "salt");
  out.key = from_hex(parts[5], "hash");
  if (out.key.size() != kKeyBytes) throw std::runtime_error("password hash: wrong hash length");
  return out;
}

}  // namespace

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    throw std::runtime_error("the random generator failed");
  return to_hex(buf.data(), buf.size());
}

std::string hash_password(std::string_view password, const ScryptParams& params) {
  std::vector<unsigned char> salt(kSaltBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("the random generator failed");
  const auto key = derive(password, salt, params);
  return "scrypt$" + std::to_string(params.n) + "$" + std::to_string(params.r) + "$" +
         std::to_string(params.p) + "$" + to_hex(salt.data(), salt.size()) + "$" +
         to_hex(key.data(), key.size());
}

void check_hash_format(std::string_view encoded) {
  parse(encoded);
}

bool verify_password(std::string_view password, std::string_view encoded) {
  const Parsed p = parse(encoded);
  const auto key = derive(password, p.salt, p.params);
  return CRYPTO_memcmp(key.data(), p.key.data(), key.size()) == 0;
}

}  // namespace smbtad::web
