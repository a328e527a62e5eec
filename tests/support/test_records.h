// SPDX-License-Identifier: GPL-3.0-or-later
// Record generators shared by the unit tests and benchmarks.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "smbta/record.h"

namespace smbta::testing {

// The §7 common values: holger / WORKGROUP / data / 192.168.1.23.
Record example_record(Op op);
// example_record(op) by `user` on `share`, of `path` and `length` bytes.
Record example_record(Op op, std::string user, std::string share, std::string path,
                      std::uint64_t length);
// A random but valid record of any known op; names include quotes, spaces, UTF-8 and separators.
Record random_record(std::mt19937_64& rng);
// `n` random_record()s from `seed`.
std::vector<Record> random_records(std::size_t n, std::uint64_t seed);
// A realistic mix: mostly reads and writes, some open/close, a few directory operations.
std::vector<Record> realistic_mix(std::size_t n, std::uint64_t seed);

}  // namespace smbta::testing
