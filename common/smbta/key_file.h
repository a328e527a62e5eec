// SPDX-License-Identifier: GPL-3.0-or-later
// Reading and creating SMBTA key files (`-k`, `-K`): one 16-character token, private to its owner.
#pragma once

#include <string>

#include "smbta/legacy_cipher.h"

namespace smbta {

// Loads the key: the first whitespace-delimited token of the file must be exactly 16 bytes
// (a trailing newline is fine, as smbta-util writes none and editors add one). Throws
// std::runtime_error naming the file and the problem, including a file that group or others can
// read or write: a key readable by others is no key at all.
AesKey load_key_file(const std::string& path);

// Creates a new key file with mode 0600 and a key of 16 random alphanumeric characters drawn from
// OpenSSL's CSPRNG (the original used rand() seeded with time()). Refuses to overwrite.
AesKey create_key_file(const std::string& path);

}  // namespace smbta
