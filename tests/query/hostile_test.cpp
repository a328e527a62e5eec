// SPDX-License-Identifier: GPL-3.0-or-later
// Hostile query text: quotes, SQL fragments, wildcards, separators, UTF-8, huge words and
// unknown functions give exact answers or clear errors, and never change the database.
#include <gtest/gtest.h>

#include "query/query_fixture.h"
#include "store/sql_dialect.h"

namespace smbta::query::testing {
namespace {

class HostileTest : public QueryTest {
 protected:
  // A fingerprint of everything stored.
  std::string fingerprint() {
    std::string out;
    const std::string events = "SELECT COUNT(*), " +
                               store::dialect::as_int64(*conn_, "COALESCE(SUM(length), 0)") +
                               " FROM smbta_events";
    for (const std::string& sql : {events, std::string("SELECT COUNT(*), 0 FROM smbta_strings"),
                                   std::string("SELECT COUNT(*), 0 FROM smbta_users"),
                                   std::string("SELECT COUNT(*), 0 FROM status"),
                                   std::string("SELECT COUNT(*), 0 FROM modules")}) {
      auto r = conn_->query(sql);
      EXPECT_TRUE(r.next());
      out += std::to_string(r.get_int(1).value_or(-1)) + "/" +
             std::to_string(r.get_int(2).value_or(-1)) + " ";
    }
    return out;
  }
  std::int64_t total(std::string_view text, bool identify = false) {
    return std::get<std::int64_t>(q(text, identify).at(0).rows.at(0).at(0));
  }
  QueryError::Kind error_kind(std::string_view text, bool identify = true) {
    try {
      q(text, identify);
    } catch (const QueryError& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
      return e.kind();
    }
    ADD_FAILURE() << "no error for: " << text;
    return QueryError::Kind::kDatabase;
  }
};

TEST_P(HostileTest, NamesAreValuesNotSql) {
  const std::string before = fingerprint();
  EXPECT_EQ(total("share \"x'; DROP TABLE smbta_events; --\", total rw;"), 0);
  EXPECT_EQ(total("user \"' OR '1'='1\", total rw;"), 0);
  EXPECT_EQ(error_kind("share 'pool'' OR 1=1 --', total rw;"), QueryError::Kind::kSyntax);
  EXPECT_EQ(error_kind("share \"x'); DELETE FROM status; --\", total rw;"),
            QueryError::Kind::kNoSuchObject);
  // Real names with quotes, separators, wildcards and UTF-8 match exactly.
  EXPECT_EQ(total("share 'my share;', total rw;", true), 777);
  EXPECT_EQ(total("file \"\xc3\xbcn\xc3\xaf'code, %_.txt\", total rw;", true), 777);
  EXPECT_EQ(total("user \"o'brien\", total w;", true), 777);
  EXPECT_EQ(total("file '/docs/<b>&.html', total rw;", true), 2048);
  EXPECT_EQ(total("share 'po%', total rw;"), 0);  // no wildcard outside search
  // Search patterns are LIKE patterns, but quoted.
  EXPECT_EQ(q("global, search \"%' OR 1=1 --\";")[0].rows.size(), 0u);
  EXPECT_EQ(q("global, search '\xc3\xbcn\xc3\xaf';")[0].rows.size(), 1u);
  EXPECT_EQ(q("global, search \\;")[0].rows.size(), 0u);
  // Syntax errors for the rest.
  EXPECT_EQ(error_kind("global, total rw; DROP TABLE smbta_events;"), QueryError::Kind::kSyntax);
  EXPECT_EQ(error_kind("global, dropdb;"), QueryError::Kind::kSyntax);
  EXPECT_EQ(error_kind("global, total rw' OR 1=1"), QueryError::Kind::kSyntax);
  EXPECT_EQ(error_kind("share " + std::string(10 * 1024, 'A') + ", total rw;"),
            QueryError::Kind::kSyntax);
  EXPECT_EQ(error_kind(std::string("global, total \0 rw;", 19)), QueryError::Kind::kSyntax);
  EXPECT_EQ(error_kind("global, search '';"), QueryError::Kind::kSyntax);
  EXPECT_EQ(error_kind("global, top 99999999999 users rw;"), QueryError::Kind::kSyntax);
  EXPECT_EQ(error_kind("\xff\xfe, total rw;"), QueryError::Kind::kSyntax);
  // A 9 kB name that is valid is just not there.
  EXPECT_EQ(total("share " + std::string(4000, 'B') + ", total rw;"), 0);
  EXPECT_EQ(fingerprint(), before);
}

// Issue 13 item 1: libdbd-sqlite3 copied each select-list expression into a 128-byte stack
// buffer, so a search pattern of 41 single quotes (82 bytes once quoted) aborted the process.
// Patterns of 4 KiB, of quotes or of wildcards, are answered exactly and change nothing.
TEST_P(HostileTest, LongSearchPatternsAreAnsweredExactly) {
  const std::string before = fingerprint();
  for (const std::string& pattern : {std::string(4096, '\''), std::string(41, '\''),
                                     "%" + std::string(4094, '_') + "%", std::string(4096, 'x')}) {
    const auto tables = q("global, search \"" + pattern + "\";");
    ASSERT_EQ(tables.size(), 1u) << pattern.size();
    EXPECT_TRUE(tables[0].rows.empty()) << pattern.substr(0, 8);
  }
  // The search still finds what is there after them.
  EXPECT_EQ(q("global, search '\xc3\xbcn\xc3\xaf';")[0].rows.size(), 1u);
  EXPECT_EQ(fingerprint(), before);
}

SMBTA_QUERY_PARAMS(HostileTest);

}  // namespace
}  // namespace smbta::query::testing
