// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/v2_c_api.h"

#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "smbta/key_file.h"
#include "smbta/legacy_cipher.h"
#include "smbta/record.h"
#include "smbta/timestamp.h"
#include "smbta/v2_codec.h"

struct smbta_c_cipher {
  smbta::LegacyCipher cipher;
};

namespace {

std::string_view sv(const char* s) {
  return s != nullptr ? std::string_view(s) : std::string_view();
}

void fill_common(const smbta_c_record& in, smbta::Record& r) {
  r.user.assign(sv(in.user));
  r.sid.assign(sv(in.sid));
  r.share.assign(sv(in.share));
  r.domain.assign(sv(in.domain));
  r.client_ip.assign(sv(in.client_ip));
  r.timestamp_ms = in.timestamp_ms != 0 ? in.timestamp_ms : smbta::local_now_ms();
  r.common_blocks = 7;
  if (in.latency_us >= 0) r.latency_us = static_cast<std::uint64_t>(in.latency_us);
  r.sequence = in.sender != nullptr && in.sender[0] != '\0' ? in.sequence : 0;
  r.sender.assign(r.sequence != 0 ? sv(in.sender) : std::string_view());
  r.replayed = r.sequence != 0 && in.replayed != 0;
}

// Header + (encrypted) body into buf, or just the size when it does not fit.
size_t emit(const std::string& body, smbta_c_cipher* cipher, char* buf, size_t cap) {
  thread_local std::string enc;
  std::string_view payload = body;
  if (cipher != nullptr) {
    cipher->cipher.encrypt(body, enc);
    payload = enc;
  }
  const size_t total = smbta::kHeaderSize + payload.size();
  if (total > cap || buf == nullptr) return total;
  thread_local std::string header;  // 26 bytes: past the small-string buffer, so kept warm
  header.clear();
  smbta::append_header(header, payload.size(), cipher != nullptr);
  std::memcpy(buf, header.data(), smbta::kHeaderSize);
  std::memcpy(buf + smbta::kHeaderSize, payload.data(), payload.size());
  return total;
}

}  // namespace

extern "C" {

int smbta_c_load_key_file(const char* path, unsigned char key[16], char* err, size_t errlen) {
  try {
    const smbta::AesKey k = smbta::load_key_file(path != nullptr ? path : "");
    std::memcpy(key, k.data(), k.size());
    return 0;
  } catch (const std::exception& e) {
    if (err != nullptr && errlen > 0) {
      std::strncpy(err, e.what(), errlen - 1);
      err[errlen - 1] = '\0';
    }
    return -1;
  }
}

smbta_c_cipher* smbta_c_cipher_new(const unsigned char key[16]) {
  try {
    smbta::AesKey k{};
    std::memcpy(k.data(), key, k.size());
    return new smbta_c_cipher{smbta::LegacyCipher(k)};
  } catch (...) {
    return nullptr;
  }
}

void smbta_c_cipher_free(smbta_c_cipher* cipher) {
  delete cipher;
}

size_t smbta_c_encode_frame(const smbta_c_record* in, smbta_c_cipher* cipher, char* buf,
                            size_t cap) {
  try {
    auto op = smbta::op_from_int(in->op);
    if (!op) return 0;
    // Reused across calls: the module encodes on one thread, and this keeps the per-record
    // cost to copies into warm buffers.
    thread_local smbta::Record r;
    thread_local std::string body;
    r.op = *op;
    r.latency_us.reset();
    fill_common(*in, r);
    r.path.assign(sv(in->path));
    r.path2.assign(sv(in->path2));
    r.length = in->length;
    r.mode = in->mode;
    r.result = in->result;
    body.clear();
    smbta::encode_body(r, body);
    return emit(body, cipher, buf, cap);
  } catch (...) {
    return 0;
  }
}

size_t smbta_c_encode_drop_notice(const smbta_c_record* in, uint64_t records, uint64_t bytes,
                                  smbta_c_cipher* cipher, char* buf, size_t cap) {
  try {
    smbta::Record r;
    fill_common(*in, r);
    r.op = smbta::Op::kDropNotice;
    r.result = records;
    r.length = bytes;
    std::string body;
    smbta::encode_body(r, body);
    return emit(body, cipher, buf, cap);
  } catch (...) {
    return 0;
  }
}

int64_t smbta_c_local_now_ms(void) {
  return smbta::local_now_ms();
}

int32_t smbta_c_str_checksum(const char* s) {
  // Bob Jenkins, lookup3.c (public domain), hashlittle() on the byte-at-a-time path, which gives
  // the same value as the word-reading paths on little-endian hosts.
  auto rot = [](std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); };
  const auto* k = reinterpret_cast<const unsigned char*>(s != nullptr ? s : "");
  std::size_t length = std::strlen(reinterpret_cast<const char*>(k));
  std::uint32_t a, b, c;
  a = b = c = 0xdeadbeefU + static_cast<std::uint32_t>(length) + 0U;
  while (length > 12) {
    a += k[0] + (static_cast<std::uint32_t>(k[1]) << 8) + (static_cast<std::uint32_t>(k[2]) << 16) +
         (static_cast<std::uint32_t>(k[3]) << 24);
    b += k[4] + (static_cast<std::uint32_t>(k[5]) << 8) + (static_cast<std::uint32_t>(k[6]) << 16) +
         (static_cast<std::uint32_t>(k[7]) << 24);
    c += k[8] + (static_cast<std::uint32_t>(k[9]) << 8) +
         (static_cast<std::uint32_t>(k[10]) << 16) + (static_cast<std::uint32_t>(k[11]) << 24);
    // mix(a, b, c)
    // clang-format off
    a -= c; a ^= rot(c, 4);  c += b;
    b -= a; b ^= rot(a, 6);  a += c;
    c -= b; c ^= rot(b, 8);  b += a;
    a -= c; a ^= rot(c, 16); c += b;
    b -= a; b ^= rot(a, 19); a += c;
    c -= b; c ^= rot(b, 4);  b += a;
    // clang-format on
    length -= 12;
    k += 12;
  }
  // clang-format off
  switch (length) {
    case 12: c += static_cast<std::uint32_t>(k[11]) << 24; [[fallthrough]];
    case 11: c += static_cast<std::uint32_t>(k[10]) << 16; [[fallthrough]];
    case 10: c += static_cast<std::uint32_t>(k[9]) << 8; [[fallthrough]];
    case 9: c += k[8]; [[fallthrough]];
    case 8: b += static_cast<std::uint32_t>(k[7]) << 24; [[fallthrough]];
    case 7: b += static_cast<std::uint32_t>(k[6]) << 16; [[fallthrough]];
    case 6: b += static_cast<std::uint32_t>(k[5]) << 8; [[fallthrough]];
    case 5: b += k[4]; [[fallthrough]];
    case 4: a += static_cast<std::uint32_t>(k[3]) << 24; [[fallthrough]];
    case 3: a += static_cast<std::uint32_t>(k[2]) << 16; [[fallthrough]];
    case 2: a += static_cast<std::uint32_t>(k[1]) << 8; [[fallthrough]];
    case 1: a += k[0]; break;
    case 0: return static_cast<std::int32_t>(c);
  }
  // final(a, b, c)
  c ^= b; c -= rot(b, 14);
  a ^= c; a -= rot(c, 11);
  b ^= a; b -= rot(a, 25);
  c ^= b; c -= rot(b, 16);
  a ^= c; a -= rot(c, 4);
  b ^= a; b -= rot(a, 14);
  c ^= b; c -= rot(b, 24);
  // clang-format on
  return static_cast<std::int32_t>(c);
}

}  // extern "C"
