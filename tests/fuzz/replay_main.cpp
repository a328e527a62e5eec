// SPDX-License-Identifier: GPL-3.0-or-later
// A main() for the fuzz targets in builds without libFuzzer: runs every file it is given (or
// every file in the directories it is given) through LLVMFuzzerTestOneInput once.
//
// Why: the seed corpora and every input a fuzzer ever crashed on live in the repository; with
// this driver they are regression tests of the default (g++) test run, while the clang build
// (SMBTA_FUZZ=ON) links the real libFuzzer main instead and explores from the same corpora.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", p.c_str());
    return false;
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t inputs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        if (!e.is_regular_file()) continue;
        ok = run_file(e.path()) && ok;
        ++inputs;
      }
    } else {
      ok = run_file(arg) && ok;
      ++inputs;
    }
  }
  std::printf("%zu inputs ran without a crash\n", inputs);
  // No input at all means the corpus went missing: that must not pass as a clean run.
  return ok && inputs > 0 ? 0 : 1;
}
