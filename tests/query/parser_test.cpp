// SPDX-License-Identifier: GPL-3.0-or-later
// The language: every construct parses into the expected plan; errors name position and word.
#include <gtest/gtest.h>

#include "query/parser.h"
#include "smbta/timestamp.h"

namespace smbta::query {
namespace {

const std::int64_t kNow = *parse_timestamp("2011-07-18 18:00:00");
const std::int64_t kToday = *parse_timestamp("2011-07-18 00:00:00");

ParseError error_of(std::string_view text) {
  try {
    parse(text, kNow);
  } catch (const ParseError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return ParseError("", 0, 0);
}

TEST(Parser, ObjectsFunctionsAndTimes) {
  auto p = parse(
      "share pool since yesterday, user 'o\\'brien' sid S-1, total rw, top 5 files w asc;", kNow);
  ASSERT_EQ(p.steps.size(), 2u);
  const auto& f = p.steps[0].filter.objects;
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].kind, ObjectKind::kShare);
  EXPECT_EQ(f[0].range->from, kToday - 86400000);
  EXPECT_EQ(f[1].name, "o'brien");
  EXPECT_EQ(f[1].sid, "S-1");
  EXPECT_EQ(std::get<Total>(p.steps[0].fn).mode, Mode::kReadWrite);
  EXPECT_EQ(std::get<Top>(p.steps[1].fn), (Top{5, Dimension::kFiles, Mode::kWrite, true}));

  p = parse("global from 2011-05-25 10:00 to '2011-05-26 11:00:30', usage r", kNow);
  EXPECT_EQ(p.steps[0].filter.objects[0].range->from, *parse_timestamp("2011-05-25 10:00:00"));
  EXPECT_EQ(p.steps[0].filter.objects[0].range->to, *parse_timestamp("2011-05-26 11:00:30"));

  // A function may come first (global is the default); ';' starts a fresh filter.
  p = parse("total r; share x, list files; TOTAL W", kNow);
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_TRUE(p.steps[0].filter.objects.empty());
  EXPECT_EQ(p.steps[1].filter.objects.size(), 1u);
  EXPECT_TRUE(p.steps[2].filter.objects.empty());

  p = parse(
      "global, throughput 5 minutes rw, 24h_usage w, last_activity 3, search '%a b%', "
      "smbtad-report full, self-check",
      kNow);
  ASSERT_EQ(p.steps.size(), 6u);
  EXPECT_EQ(std::get<Throughput>(p.steps[0].fn).unit_ms, 60000);
  EXPECT_EQ(std::get<Search>(p.steps[3].fn).pattern, "%a b%");
  EXPECT_TRUE(std::get<Report>(p.steps[4].fn).full);
  EXPECT_EQ(parse("global since 09:30, total r", kNow).steps[0].filter.objects[0].range->from,
            kToday + 9 * 3600000 + 30 * 60000);
}

TEST(Parser, ErrorsPointAtTheWordAndSuggest) {
  auto e = error_of("global, totl rw;");
  EXPECT_EQ(e.pos(), 8u);
  EXPECT_EQ(e.suggestion(), "total");
  EXPECT_EQ(describe(e, "global, totl rw;"),
            "error at column 9: unknown function 'totl'; did you mean 'total'?\n"
            "  global, totl rw;\n"
            "          ^^^^");
  e = error_of("global, total x;");
  EXPECT_EQ(e.pos(), 14u);
  EXPECT_NE(std::string(e.what()).find("'r', 'w' or 'rw'"), std::string::npos);
  EXPECT_EQ(error_of("global, top 5 user rw;").suggestion(), "users");
  EXPECT_EQ(error_of("global, top 5 users rw dsc;").suggestion(), "desc");
  EXPECT_EQ(error_of("global, top 0 users rw;").pos(), 12u);
  EXPECT_EQ(error_of("global, throughput 5 fortnights rw;").pos(), 21u);
  EXPECT_EQ(error_of("global from today too now, total r;").suggestion(), "to");
  EXPECT_EQ(error_of("global from now to today, total r;").pos(), 7u);  // empty range
  EXPECT_EQ(error_of("global since tody, total r;").suggestion(), "today");
  EXPECT_EQ(error_of("share 'pool, total r;").pos(), 6u);  // unterminated quote
  EXPECT_EQ(error_of("global;").pos(), 7u);                // no function
  EXPECT_EQ(error_of("global, total rw extra;").pos(), 17u);
  EXPECT_EQ(error_of("global,, total rw;").pos(), 7u);
  EXPECT_EQ(error_of("share, total rw;").pos(), 5u);
  EXPECT_EQ(error_of("global, usage 10 10 rw;").pos(), 14u);
  EXPECT_EQ(error_of("system, self-check online;").suggestion(), "offline");
  EXPECT_NE(std::string(error_of("select * from data;").what()).find("raw SQL"), std::string::npos);
}

TEST(Parser, ColumnsCountCharactersNotBytes) {
  const std::string text = "share \xc3\xbc\xc3\xbc, totl r;";
  auto e = error_of(text);
  EXPECT_EQ(describe(e, text).substr(0, 20), "error at column 11: ");
}

TEST(Parser, LimitsOnSize) {
  EXPECT_NE(std::string(error_of(std::string(70000, 'a')).what()).find("too long"),
            std::string::npos);
  const std::string big = "share " + std::string(10000, 'x') + ", total r;";
  auto e = error_of(big);
  EXPECT_EQ(e.pos(), 6u);
  EXPECT_NE(std::string(e.what()).find("too long"), std::string::npos);
  EXPECT_LT(describe(e, big).size(), 400u);
}

}  // namespace
}  // namespace smbta::query
