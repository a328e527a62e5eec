// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: smbtad's configuration file (iniparser, then smbtad's own checks of each value).
// Property: a file is either applied or refused with an exception that names the problem; it
// never crashes, hangs or leaks.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "options.h"
#include "smbta/unique_fd.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A memory file: no disk I/O per input, and a path iniparser can open like any other.
  static const smbta::UniqueFd fd(memfd_create("smbtad-fuzz.conf", 0));
  if (ftruncate(fd.get(), 0) != 0 || pwrite(fd.get(), data, size, 0) != static_cast<ssize_t>(size))
    return 0;
  const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
  smbtad::Options options;
  try {
    smbtad::apply_config_file(path, options);
  } catch (const std::exception&) {
  }
  return 0;
}
