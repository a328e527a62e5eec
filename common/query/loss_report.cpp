// SPDX-License-Identifier: GPL-3.0-or-later
#include "query/loss_report.h"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "store/loss_ledger.h"
#include "store/schema.h"

namespace smbta::query {
namespace {

// One line of the report: the senders of one server, with or without sequence numbers.
struct Sums {
  std::int64_t senders = 0, received = 0, stored = 0, replayed = 0, duplicates = 0, dropped = 0,
               missing = 0, last_seen = 0;
  void add(const Sums& o) {
    senders += o.senders;
    received += o.received;
    stored += o.stored;
    replayed += o.replayed;
    duplicates += o.duplicates;
    dropped += o.dropped;
    missing += o.missing;
    last_seen = std::max(last_seen, o.last_seen);
  }
};

std::string comment(bool sequenced, const Sums& s) {
  if (!sequenced)
    return "No sequence numbers (a 1.2.x module or an older smbta module): records are counted, "
           "losses cannot be detected.";
  std::string c;
  if (s.missing == 0 && s.dropped == 0)
    c = "Complete: every record the module numbered was received.";
  if (s.dropped > 0)
    c += fmt::format("The module could not keep {} record{} (its drop notices). ", s.dropped,
                     s.dropped == 1 ? "" : "s");
  if (s.missing > 0)
    c += fmt::format("{} record{} never arrived and no module reported {}. ", s.missing,
                     s.missing == 1 ? "" : "s", s.missing == 1 ? "it" : "them");
  if (s.duplicates > 0)
    c +=
        fmt::format("{} duplicate{} not stored again.", s.duplicates, s.duplicates == 1 ? "" : "s");
  while (!c.empty() && c.back() == ' ') c.pop_back();
  return c;
}

}  // namespace

ResultTable run_function(ExecContext& ctx, const Loss&, const Resolved& r,
                         const std::string& phrase) {
  ResultTable out;
  out.function = "loss";
  out.title = fmt::format("Records received and lost per Samba server {}", phrase);
  out.columns = {{"server", "Server", ColumnType::kText},
                 {"sequenced", "Sequence numbers", ColumnType::kText},
                 {"senders", "Module processes", ColumnType::kCount},
                 {"received", "Received", ColumnType::kCount},
                 {"stored", "Stored", ColumnType::kCount},
                 {"replayed", "Replayed", ColumnType::kCount},
                 {"duplicates", "Duplicates", ColumnType::kCount},
                 {"dropped", "Dropped by module", ColumnType::kCount},
                 {"missing", "Missing", ColumnType::kCount},
                 {"last_seen", "Last seen", ColumnType::kTimestamp},
                 {"comment", "Comment", ColumnType::kText}};
  if (!store::schema::has_table(ctx.db(), store::loss_ledger::kTable)) {
    out.notes.emplace_back(
        "error",
        "No loss accounting yet: smbtad has not stored records of this release's "
        "modules in this database.");
    return out;
  }
  store::DbiResult res = ctx.query(fmt::format(
      "SELECT server, sender, received, stored, replayed, duplicates, dropped, missing, last_seen "
      "FROM {} WHERE last_seen >= {} AND last_seen < {}",
      store::loss_ledger::kTable, r.range.from, r.range.to));
  std::map<std::pair<std::string, bool>, Sums> by_server;
  while (res.next()) {
    const bool sequenced = !res.get_text(2).value_or("").empty();
    Sums s;
    s.senders = 1;
    s.received = res.get_int(3).value_or(0);
    s.stored = res.get_int(4).value_or(0);
    s.replayed = res.get_int(5).value_or(0);
    s.duplicates = res.get_int(6).value_or(0);
    s.dropped = res.get_int(7).value_or(0);
    s.missing = res.get_int(8).value_or(0);
    s.last_seen = res.get_int(9).value_or(0);
    by_server[std::make_pair(res.get_text(1).value_or(""), sequenced)].add(s);
  }
  Sums all;
  for (const auto& [key, s] : by_server) {
    all.add(s);
    out.rows.push_back({key.first, key.second ? "yes" : "no", s.senders, s.received, s.stored,
                        s.replayed, s.duplicates, s.dropped, s.missing, s.last_seen,
                        comment(key.second, s)});
  }
  if (by_server.size() > 1)
    out.rows.push_back({std::string("(all)"), Cell(), all.senders, all.received, all.stored,
                        all.replayed, all.duplicates, all.dropped, all.missing, all.last_seen,
                        Cell()});
  if (by_server.empty())
    out.notes.emplace_back("error", "No module was heard of in this time range.");
  return out;
}

}  // namespace smbta::query
