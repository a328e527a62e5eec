// SPDX-License-Identifier: GPL-3.0-or-later
// Salted scrypt password hashes (OpenSSL 3 EVP_KDF "SCRYPT") with their parameters in the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace smbtad::web {

// Why: the users file must survive a change of the default cost: each hash carries the
// parameters it was made with, so old entries still verify after the default is raised.
struct ScryptParams {
  std::uint64_t n = 1 << 15;  // 32 MiB with r = 8: slow to brute-force, ~0.1 s per login
  std::uint32_t r = 8;
  std::uint32_t p = 1;
};

// "scrypt$N$r$p$<salt hex>$<hash hex>" with a fresh 16-byte salt from RAND_bytes.
std::string hash_password(std::string_view password, const ScryptParams& params = {});
// Whether `password` matches `encoded` (constant-time comparison of the derived key). Throws
// std::runtime_error when `encoded` is not a hash this code makes (a damaged users file).
bool verify_password(std::string_view password, std::string_view encoded);
// Throws std::runtime_error naming what is wrong when `encoded` is not a well-formed hash.
void check_hash_format(std::string_view encoded);

// Hex encoding, and random bytes as hex (session and CSRF tokens).
std::string to_hex(const unsigned char* data, std::size_t n);
std::string random_hex(std::size_t bytes);

}  // namespace smbtad::web
