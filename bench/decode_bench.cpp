// SPDX-License-Identifier: GPL-3.0-or-later
// Decode throughput of the V2 stream decoder on a realistic record mix (goal: >= 1M records/s).
#include <benchmark/benchmark.h>

#include "smbta/stream_decoder.h"
#include "support/test_records.h"

namespace {

std::string make_stream(bool encrypted, std::size_t n) {
  const auto records = smbta::testing::realistic_mix(n, 1);
  smbta::AesKey key{};
  key.fill('k');
  smbta::LegacyCipher cipher(key);
  std::string s;
  for (const auto& r : records) s += smbta::encode_frame(r, encrypted ? &cipher : nullptr);
  return s;
}

void BM_Decode(benchmark::State& state) {
  const bool encrypted = state.range(0) != 0;
  constexpr std::size_t kRecords = 100000;
  const std::string stream = make_stream(encrypted, kRecords);
  smbta::AesKey key{};
  key.fill('k');
  std::size_t records = 0;
  for (auto _ : state) {
    smbta::StreamDecoder d({}, encrypted ? std::optional<smbta::AesKey>(key) : std::nullopt);
    smbta::Record r;
    // Feed in 64 KiB pieces, as the daemon's socket reads do.
    for (std::size_t pos = 0; pos < stream.size(); pos += 65536) {
      d.feed(std::string_view(stream).substr(pos, 65536));
      while (d.next(r) == smbta::StreamDecoder::Status::kRecord) {
        benchmark::DoNotOptimize(r);
        ++records;
      }
    }
  }
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_Decode)->Arg(0)->Arg(1)->ArgName("encrypted")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
