// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/key_file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "smbta/unique_fd.h"

namespace smbta {
namespace {

[[noreturn]] void fail(const std::string& path, std::string_view why) {
  throw std::runtime_error("key file " + path + ": " + std::string(why));
}

}  // namespace

AesKey load_key_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) fail(path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  if ((st.st_mode & (S_IRWXO | S_IWGRP | S_IRGRP)) != 0)
    fail(path, "readable or writable by group or others; run chmod 600 on it");
  char buf[256];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0) fail(path, std::strerror(errno));
  std::string_view text(buf, static_cast<std::size_t>(n));
  std::size_t b = 0;
  while (b < text.size() && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  std::size_t e = b;
  while (e < text.size() && !std::isspace(static_cast<unsigned char>(text[e]))) ++e;
  if (e - b != 16) fail(path, "the key must be exactly 16 characters");
  AesKey key{};
  for (std::size_t i = 0; i < 16; ++i) key[i] = static_cast<std::uint8_t>(text[b + i]);
  return key;
}

AesKey create_key_file(const std::string& path) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  AesKey key{};
  std::size_t filled = 0;
  while (filled < key.size()) {
    unsigned char r[32];
    if (RAND_bytes(r, sizeof r) != 1) fail(path, "the random generator failed");
    for (unsigned char c : r) {
      // Rejection sampling keeps every character equally likely (248 = 4 * 62).
      if (c < 248 && filled < key.size())
        key[filled++] = static_cast<std::uint8_t>(kAlphabet[c % 62]);
    }
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) fail(path, std::strerror(errno));
  if (::write(fd.get(), key.data(), key.size()) != static_cast<ssize_t>(key.size()))
    fail(path, "short write");
  return key;
}

}  // namespace smbta
