// SPDX-License-Identifier: GPL-3.0-or-later
// smbtaquery: runs report queries against the smbta database or smbtad's client port.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include <optional>

#include "options.h"
#include "query/engine.h"
#include "query/format.h"
#include "query/parser.h"
#include "query/result_codec.h"
#include "smbta/key_file.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "store/convert.h"
#include "store/dbi_connection.h"
#include "store/rollup.h"
#include "store/schema.h"

namespace {

// Sanitizer builds: see keep_drivers_loaded_for_sanitizers().
const bool g_drivers_pinned = smbta::store::keep_drivers_loaded_for_sanitizers();

using smbta::query::QueryError;
using smbtaquery::Action;
using smbtaquery::Options;

// Exit codes (smbtaquery(1)).
constexpr int kOk = 0, kUsage = 1, kDatabase = 2, kNoObject = 3;

int exit_code(QueryError::Kind k) {
  switch (k) {
    case QueryError::Kind::kSyntax:
      return kUsage;
    case QueryError::Kind::kDatabase:
      return kDatabase;
    case QueryError::Kind::kNoSuchObject:
    case QueryError::Kind::kAmbiguous:
      return kNoObject;
  }
  return kDatabase;
}

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
    if (!in) throw smbtaquery::UsageError(fmt::format("-f/--file: cannot read '{}'", f));
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

smbta::UniqueFd connect(const Options& o) {
  return o.unix_socket ? smbta::net::connect_unix(o.unix_path)
                       : smbta::net::connect_tcp(o.host, o.port);
}

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
  // The key encrypts the client port exchange (smbtad -k/-K, --require-client-key).
  std::optional<smbta::AesKey> key;
  if (!o.keyfile.empty()) key = smbta::load_key_file(o.keyfile);
  if (o.network)
    fd = connect(o);
  else
    db = std::make_unique<smbta::store::DbiConnection>(o.db);
  for (const auto& s : sources) {
    try {
      auto part = o.network ? smbta::query::query_over_socket(fd.get(), s.text, 600'000,
                                                              key ? &*key : nullptr)
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

int run(const Options& o) {
  switch (o.action) {
    case Action::kHelp:
      std::cout << smbtaquery::help_text();
      return kOk;
    case Action::kVersion:
      std::cout << smbta::query::engine_version() << '\n';
      return kOk;
    case Action::kLanguageHelp:
      std::cout << smbta::query::language_help();
      return kOk;
    case Action::kCreateKey:
      smbta::create_key_file(o.create_key);
      std::cout << fmt::format("Key generated.\nFile '{}' has been created.\n", o.create_key);
      return kOk;
    case Action::kTest:
      if (o.network) {
        connect(o);
        std::cout << "\nConnection to smbtad successful.\n";
      } else {
        smbta::store::DbiConnection db(o.db);
        if (!smbta::store::schema::ready(db))
          throw smbta::store::StoreError("connected, but the database holds no smbta schema",
                                         false);
        std::cout << "\nDatabase connection successful.\n";
      }
      return kOk;
    case Action::kConvert:
      return run_convert(o);
    case Action::kInstallRollups: {
      smbta::store::DbiConnection db(o.db);
      if (!smbta::store::schema::ready(db))
        throw smbta::store::StoreError("the database holds no smbta schema", false);
      smbta::store::install_rollups(db, {true, o.file_rollup});
      std::cout << (o.file_rollup ? "The hourly and the file rollup are installed.\n"
                                  : "Rollup table and triggers are installed.\n");
      return kOk;
    }
    case Action::kQuery:
      return run_queries(o);
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = smbtaquery::parse_options(argc, argv);
  } catch (const smbtaquery::UsageError& e) {
    std::cerr << "smbtaquery: " << e.what() << "\n\n" << smbtaquery::help_text();
    return kUsage;
  }
  try {
    return run(o);
  } catch (const smbtaquery::UsageError& e) {
    std::cerr << "smbtaquery: " << e.what() << '\n';
    return kUsage;
  } catch (const QueryError& e) {
    std::cerr << "smbtaquery: " << e.what() << '\n';
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "smbtaquery: " << e.what() << '\n';
    return kDatabase;
  }
}
