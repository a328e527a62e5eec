// SPDX-License-Identifier: GPL-3.0-or-later
// Golden output of `alerts` in every format, on every driver: the rows smbtad's alert thread
// writes (store/alert_store.h), listed and narrowed by user, share, domain and time.
#include <gtest/gtest.h>

#include "query/format.h"
#include "query/golden_queries.h"
#include "query/query_fixture.h"
#include "smbta/timestamp.h"
#include "store/alert_store.h"

namespace smbta::query::testing {
namespace {

class AlertsGolden : public QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    if (IsSkipped()) return;
    store::StoredAlert a;
    a.started_ms = *parse_timestamp("2011-07-18 10:00:04.250");
    a.kind = "ransomware";
    a.user = "tom";
    a.domain = "EXAMPLE";
    a.share = "data";
    a.events = 600;
    a.rate = 600;
    a.threshold = 600;
    a.baseline = 3;
    a.sample = "projects/q3/report 17.odt";
    store::alerts::insert(*conn_, a);
    a.ended_ms = *parse_timestamp("2011-07-18 10:01:00.000");
    a.events = 9000;
    store::alerts::finish(*conn_, a);
    store::StoredAlert b;
    b.started_ms = *parse_timestamp("2011-07-18 16:30:00.000");
    b.kind = "exfiltration";
    b.user = "o'brien";
    b.domain = "EXAMPLE";
    b.share = "my share;";
    b.events = 3000;
    b.rate = 3000;
    b.threshold = 3000;
    b.sample = "\xc3\xbcn\xc3\xaf'code, <%_>.txt";
    store::alerts::insert(*conn_, b);  // still going: no end
    store::StoredAlert c = a;
    c.started_ms = *parse_timestamp("2011-07-17 23:59:59.000");
    c.user = "holger";
    c.domain = "OTHER";
    c.ended_ms = *parse_timestamp("2011-07-18 00:04:00.000");
    c.events = 1200;
    store::alerts::insert(*conn_, c);
  }
};

TEST_P(AlertsGolden, EveryFormat) {
  GoldenFiles files;
  const RenderOptions ro{test_now(), "2.0.0"};
  static constexpr Golden kAlerts[] = {
      {"alerts", "global, alerts; global since today, alerts 1;"},
      {"alerts_narrowed", "user tom, alerts; share 'my share;', alerts; domain OTHER, alerts;"},
  };
  for (const auto& g : kAlerts) {
    const auto tables = q(g.query);
    for (const auto& [format, ext] : kFormats) {
      const std::string path = std::string(GOLDEN_DIR) + "/" + g.name + "." + ext;
      files.check(path, render(format, tables, ro), std::string("for ") + g.query);
    }
  }
}

TEST_P(AlertsGolden, ADatabaseWithoutTheTableHasNoAlerts) {
  conn_->exec("DROP TABLE smbta_alerts");
  const auto t = q("global, alerts;");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].rows.empty());
  EXPECT_EQ(t[0].columns.size(), 11u);
}

SMBTA_QUERY_PARAMS(AlertsGolden);

}  // namespace
}  // namespace smbta::query::testing
