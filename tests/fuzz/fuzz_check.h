// SPDX-License-Identifier: GPL-3.0-or-later
// The one assertion the fuzz targets use: a broken invariant must crash under any build type.
#pragma once

#include <cstdio>
#include <cstdlib>

// Why: assert() vanishes under NDEBUG, and a fuzz target's whole point is to stop (and let
// libFuzzer save the input) when a property such as "decode(encode(x)) == x" fails.
#define SMBTA_FUZZ_CHECK(cond)                                                              \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
