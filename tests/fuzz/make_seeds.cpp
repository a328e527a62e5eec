// SPDX-License-Identifier: GPL-3.0-or-later
// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/seed-*) from the
// project's own encoders, so the seeds follow the formats when they change.
// Usage: make_seeds <corpus-dir>    (run by hand, then commit the files; see tests/fuzz/README.md)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "aead_fixture.h"
#include "query/result_codec.h"
#include "smbta/legacy_cipher.h"
#include "smbta/stream_decoder.h"
#include "smbta/v2_codec.h"
#include "spool.h"
#include "support/test_records.h"

namespace {

namespace fs = std::filesystem;

void write(const fs::path& dir, int n, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / ("seed-" + std::to_string(n)), std::ios::binary) << bytes;
}

smbta::AesKey fuzz_key() {
  smbta::AesKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>('a' + i);
  return k;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <corpus-dir>\n");
    return 2;
  }
  const fs::path root(argv[1]);
  const auto records = smbta::testing::random_records(12, 7);
  smbta::LegacyCipher cipher(fuzz_key());

  // Decoder: mode byte (bit 0 = encrypted, bits 1-7 = chunk size - 1), then the stream.
  int n = 0;
  for (const auto& r : records) {
    write(root / "stream_decoder", n++, std::string(1, '\x0e') + smbta::encode_frame(r));
    write(root / "stream_decoder", n++, std::string(1, '\x01') + smbta::encode_frame(r, &cipher));
  }
  std::string all;
  for (const auto& r : records) all += smbta::encode_frame(r);
  write(root / "stream_decoder", n++, std::string(1, '\x00') + all);

  // aead_frame: side byte (bit 0 = client side, bits 1-7 = chunk size - 1), then the stream.
  // smbtad's side: a module's hello and sealed records, under the keys smbtad's fixed random
  // gives; the client's side: smbtad's hello and sealed replies to the fixed client hello.
  {
    namespace fz = smbta::fuzz;
    std::string server_hello;
    smbta::append_aead_hello(server_hello, fz::aead_server_random());
    smbta::StreamDecoder module_side({}, fz::aead_key());
    smbta::AeadRandom module_random;
    module_random.fill(0x11);
    module_side.expect_server_hello(module_random);
    module_side.feed(server_hello);
    std::string_view ignored;
    (void)module_side.next_body(ignored);
    std::string module_stream;
    smbta::append_aead_hello(module_stream, module_random);
    int a = 0;
    for (const auto& r : records) {
      std::string body;
      smbta::encode_body(r, body);
      module_side.sealer()->seal(body, module_stream);
      if (a < 3) write(root / "aead_frame", a++, std::string(1, '\x7e') + module_stream);
    }
    write(root / "aead_frame", a++, std::string(1, '\x00') + module_stream);

    smbta::StreamDecoder server_side({}, fz::aead_key());
    server_side.set_random_source(fz::aead_server_random);
    std::string client_hello;
    smbta::append_aead_hello(client_hello, fz::aead_client_random());
    server_side.feed(client_hello);
    (void)server_side.next_body(ignored);
    std::string replies = server_side.take_reply();
    for (const char* reply : {"00100000000001", "0001000041234", "QE0005oops!"})
      server_side.sealer()->seal(reply, replies);
    write(root / "aead_frame", a++, std::string(1, '\x01') + replies);
    write(root / "aead_frame", a++, std::string(1, '\x0f') + replies);
  }

  n = 0;
  for (const char* body : {"~~000130004NULL0006holger0001*0001*0001*0001*",
                           "~~000150004NULL0001*0001*0004data0001*0001*",
                           "~~000120001*0001*0001*0001*0013docs/a b.txt0001*"})
    write(root / "monitor_request", n++, body);

  n = 0;
  for (const char* q :
       {"global, total r, total w, total rw;",
        "global, list users, list shares, list files, list domains;",
        "global, top 3 users rw, top 2 shares r, top 2 files w, top 2 domains rw asc;",
        "global, last_activity 5;", "global since today, usage rw;", "global, search oo;",
        "share pool, throughput 4 hours rw;", "system, smbtad-report full, smbtad-report short;",
        "system, self-check offline;",
        "user holger, domain WORKGROUP, total rw from 2012-05-11 to 2012-05-12;",
        "file \"docs/a\\\"b\", share data, search '*.od?';"})
    write(root / "query_parser", n++, q);

  smbta::query::ResultTable t;
  t.function = "top";
  t.title = "Top 2 users";
  t.columns = {{"user", "User", smbta::query::ColumnType::kText},
               {"bytes", "Bytes", smbta::query::ColumnType::kBytes},
               {"share", "Share %", smbta::query::ColumnType::kPercent}};
  t.rows = {{std::string("holger"), std::int64_t{65536}, 12.5},
            {std::string("o'brien"), std::int64_t{-1}, std::monostate{}}};
  t.notes = {{"mode", "rw"}};
  write(root / "result_codec", 0, smbta::query::encode_results(std::vector{t}));
  write(root / "result_codec", 1, smbta::query::encode_results(std::vector{t, t}));

  std::vector<smbta::store::Row> rows;
  for (const auto& r : records) rows.push_back({.rec = r});
  rows.back().accumulate = true;
  rows.back().bucket_ms = 5000;
  write(root / "spool", 0, smbtad::Spool::serialize(rows));

  write(root / "config", 0,
        "[general]\n  debug_level = 1\n  precision = 5\n[network]\n  port_number = 3490\n"
        "  unix_domain_socket = no\n[database]\n  driver = sqlite3\n  name = /tmp/x\n"
        "  maintenance_timer = 01:00:00\n  maintenance_timer_str = 1,00:00:00\n");
  write(root / "config", 1, "[network]\nquery_port=99999\n[general]\nprecision=-1\n");
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}
