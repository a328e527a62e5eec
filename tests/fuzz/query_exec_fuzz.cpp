// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: query text parsed AND executed against a real sqlite store, then rendered.
// Property: any text parses and runs, or fails with a syntax, no-such-object or ambiguity error;
// the database never fails (that would mean SQL built wrongly from the text, e.g. bad quoting),
// and every result renders in every output format.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "query/engine.h"
#include "query/format.h"
#include "store/dbi_connection.h"
#include "store/event_store.h"
#include "support/test_records.h"

namespace {

// Why a struct built once: opening sqlite and storing the records per input would make each run
// take milliseconds; the queries only read, so one database serves every input.
struct Fixture {
  std::filesystem::path dir;
  smbta::store::DbParams params;
  std::unique_ptr<smbta::store::DbiConnection> db;
  std::int64_t now_ms = 0;

  Fixture() {
    (void)smbta::store::keep_drivers_loaded_for_sanitizers();
    std::string tmpl = (std::filesystem::temp_directory_path() / "smbta-fuzz-XXXXXX").string();
    SMBTA_FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    params.driver = "sqlite3";
    params.sqlite_dbdir = dir.string();
    params.name = "fuzz.db";
    auto store = smbta::store::EventStore::open(params);
    store->create_schema();
    std::vector<smbta::store::Row> rows;
    for (auto& r : smbta::testing::realistic_mix(300, 7)) {
      now_ms = std::max(now_ms, r.timestamp_ms);
      rows.push_back(smbta::store::Row{std::move(r)});
    }
    store->insert(rows);
    now_ms += 3'600'000;
    db = std::make_unique<smbta::store::DbiConnection>(params);
  }
  ~Fixture() {
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  using smbta::query::QueryError;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  smbta::query::QueryOptions opts;
  opts.now_ms = fixture.now_ms;
  opts.max_rows = 50;
  std::vector<smbta::query::ResultTable> tables;
  try {
    tables = smbta::query::run(text, *fixture.db, opts);
  } catch (const QueryError& e) {
    if (e.kind() == QueryError::Kind::kDatabase) std::fprintf(stderr, "%s\n", e.what());
    SMBTA_FUZZ_CHECK(e.kind() != QueryError::Kind::kDatabase);
    return 0;
  }
  const smbta::query::RenderOptions render{fixture.now_ms, "fuzz"};
  for (auto f :
       {smbta::query::Format::kAscii, smbta::query::Format::kHtml, smbta::query::Format::kXml,
        smbta::query::Format::kJson, smbta::query::Format::kCsv})
    (void)smbta::query::render(f, tables, render);
  return 0;
}
