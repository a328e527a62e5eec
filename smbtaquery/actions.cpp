// SPDX-License-Identifier: GPL-3.0-or-later
#include "actions.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "client/connection.h"
#include "client/query_client.h"
#include "exit_status.h"
#include "query/engine.h"
#include "query/format.h"
#include "query/parser.h"
#include "smbta/key_file.h"
#include "smbta/timestamp.h"
#include "store/convert.h"
#include "store/dbi_connection.h"
#include "store/rollup.h"
#include "store/schema.h"

namespace smbtaquery {
namespace {

using smbta::query::QueryError;

// One query with where it came from, for error messages.
struct Source {
  std::string text;
  std::string origin;  // "-q" or "FILE:LINE"
};

std::vector<Source> collect(const Options& o) {
  std::vector<Source> out;
  for (const auto& q : o.queries) out.push_back({q, "-q"});
  for (const auto& f : o.query_files) {
    std::ifstream in(f);
    if (!in) throw UsageError(fmt::format("-f/--file: cannot read '{}'", f));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') continue;
      out.push_back({line, fmt::format("{}:{}", f, n)});
    }
  }
  return out;
}

// Why: a conversion of millions of rows takes minutes; on a terminal the user sees it move, in
// a script nothing is written.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDERR_FILENO) == 1) {}
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (!tty_) return;
    constexpr int kWidth = 40;
    const double f = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    const int fill = static_cast<int>(f * kWidth);
    std::fprintf(stderr, "\rconverting [%s%s] %3d%% (%llu/%llu rows)",
                 std::string(fill, '#').c_str(), std::string(kWidth - fill, '.').c_str(),
                 static_cast<int>(f * 100), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total));
    if (done >= total) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  bool tty_;
};

// The database must hold smbta's schema for every action but -C.
void require_schema(smbta::store::DbiConnection& db) {
  if (!smbta::store::schema::ready(db))
    throw smbta::store::StoreError(
        fmt::format("connected, but {} holds no smbta schema: no smbtad has used this database "
                    "(smbtad creates the schema at its first start, or run smbtad -T); is it "
                    "the database smbtad was given?",
                    db.location()),
        false);
}

}  // namespace

int run_queries(const Options& o) {
  const auto sources = collect(o);
  const std::int64_t now = smbta::local_now_ms();
  smbta::query::QueryOptions qo;
  qo.now_ms = now;
  qo.identify = o.identify;
  qo.max_rows = o.max_rows;
  if (o.debug_level > 0)
    qo.on_sql = [](std::string_view sql) { std::cerr << "SQL-QUERY: " << sql << '\n'; };

  std::vector<smbta::query::ResultTable> tables;
  std::unique_ptr<smbta::store::DbiConnection> db;
  smbta::UniqueFd fd;
  std::optional<smbta::client::ClientChannel> channel;
  // The key encrypts the client port exchange (smbtad -k/-K, --require-client-key), in the
  // legacy or the authenticated transport (--transport).
  if (o.network) {
    fd = smbta::client::connect_to_smbtad(o.smbtad);
    channel.emplace(fd.get(), smbta::client::load_key(o.smbtad), o.smbtad.transport,
                    smbta::client::kMaxReplyBody);
  } else {
    db = std::make_unique<smbta::store::DbiConnection>(o.db);
  }
  for (const auto& s : sources) {
    try {
      auto part = o.network ? smbta::client::query_over_socket(*channel, s.text, 600'000)
                            : smbta::query::run(s.text, *db, qo);
      for (auto& t : part) tables.push_back(std::move(t));
    } catch (const QueryError& e) {
      std::cerr << fmt::format("smbtaquery: {}: {}\n", s.origin, e.what());
      return exit_code(e.kind());
    }
  }
  smbta::query::RenderOptions ro{now, std::string(smbta::query::engine_version())};
  if (!o.xml_file.empty()) {
    std::ofstream out(o.xml_file, std::ios::binary | std::ios::trunc);
    out << smbta::query::render_xml(tables, ro);
    if (!out.flush()) throw std::runtime_error(fmt::format("-x: cannot write '{}'", o.xml_file));
    if (!o.format_given) return kOk;
  }
  std::cout << smbta::query::render(o.format, tables, ro);
  std::cout.flush();
  return kOk;
}

int run_test(const Options& o) {
  if (o.network) {
    smbta::client::connect_to_smbtad(o.smbtad);
    std::cout << "Connection to smbtad successful.\n";
  } else {
    smbta::store::DbiConnection db(o.db);
    require_schema(db);
    std::cout << fmt::format("Database connection successful ({}).\n", db.location());
  }
  return kOk;
}

int run_convert(const Options& o) {
  smbta::store::DbiConnection db(o.db);
  ProgressBar bar;
  const auto rep = smbta::store::convert_legacy(db, o.dry_run, std::ref(bar));
  if (!rep.needed) {
    std::cout << "Nothing to convert: the database holds no SMBTA 1.2.x data table.\n";
    return kOk;
  }
  std::cout << fmt::format(
      "{} {} rows ({} read/write rows, {} bytes, {} users){}.\n",
      o.dry_run ? "Would convert" : "Converted", rep.rows, rep.rw_rows, rep.rw_bytes, rep.users,
      rep.from_version.empty() ? "" : fmt::format(" from database version {}", rep.from_version));
  if (!o.dry_run)
    std::cout << fmt::format("The database now has schema version {}.\n",
                             smbta::store::schema::kSchemaVersion);
  return kOk;
}

int run_install_rollups(const Options& o) {
  smbta::store::DbiConnection db(o.db);
  require_schema(db);
  smbta::store::install_rollups(db, {true, o.file_rollup});
  std::cout << (o.file_rollup ? "The hourly and the file rollup are installed.\n"
                              : "Rollup table and triggers are installed.\n");
  return kOk;
}

int run_create_key(const Options& o) {
  smbta::create_key_file(o.create_key);
  std::cout << fmt::format("Key generated.\nFile '{}' has been created.\n", o.create_key);
  return kOk;
}

}  // namespace smbtaquery
