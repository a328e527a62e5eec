// SPDX-License-Identifier: GPL-3.0-or-later
// The result wire codec: exact round trips, and every malformed input rejected safely.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <random>
#include <thread>

#include "client/query_client.h"
#include "query/query_fixture.h"
#include "query/result_codec.h"
#include "smbta/v2_codec.h"

namespace smbta::query {
namespace {

using smbta::client::query_over_socket;

ResultTable sample() {
  ResultTable t;
  t.function = "top";
  t.title = "Top \"2\" users: o'brien, ünï; 100%";
  t.columns = {{"pos", "Pos", ColumnType::kCount},     {"name", "Name", ColumnType::kText},
               {"bytes", "Bytes", ColumnType::kBytes}, {"ts", "Time", ColumnType::kTimestamp},
               {"pct", "Share", ColumnType::kPercent}, {"rate", "Rate", ColumnType::kRate}};
  t.rows.push_back({std::int64_t{1}, std::string("a:b\n0:", 6),
                    std::int64_t{-9223372036854775807 - 1}, std::int64_t{1310976000123},
                    33.333333333333336, 0.1});
  t.rows.push_back(
      {std::int64_t{2}, Cell(), std::int64_t{9223372036854775807}, Cell(), 0.0, Cell()});
  t.notes = {{"total", "12"}, {"", ""}};
  return t;
}

TEST(Codec, RoundTripIsExact) {
  const ResultTable t = sample();
  EXPECT_EQ(decode_result(encode_result(t)), t);
  const std::vector<ResultTable> many = {t, ResultTable{}, t};
  EXPECT_EQ(decode_results(encode_results(many)), many);
}

TEST(Codec, MalformedInputThrows) {
  const std::string good = encode_result(sample());
  // Every truncation and every single-byte corruption either throws or decodes to something;
  // it never reads out of bounds (ASan watches) and never allocates absurdly.
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(decode_result(std::string_view(good).substr(0, n)), std::runtime_error) << n;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string bad = good;
    bad[rng() % bad.size()] = static_cast<char>(rng());
    try {
      decode_result(bad);
    } catch (const std::runtime_error&) {
    }
  }
  EXPECT_THROW(decode_result("SMBTAR1:0:0:99999999999:"), std::runtime_error);
  EXPECT_THROW(decode_result("SMBTAR1:0:0:1:1:a1:a9:0:0:"), std::runtime_error);  // bad type
  EXPECT_THROW(decode_result(good + "x"), std::runtime_error);
  EXPECT_THROW(decode_results("SMBTAM1:1000000000:"), std::runtime_error);
  // A text cell in a bytes column.
  ResultTable t;
  t.columns = {{"b", "B", ColumnType::kBytes}};
  std::string enc = encode_result(t);
  enc.replace(enc.size() - 4, 4, "1:S1:x0:");
  EXPECT_THROW(decode_result(enc), std::runtime_error);
}

// The client against serve_query_request over a socket pair, as smbtad will run it.
class SocketTest : public testing::QueryTest {};

TEST_P(SocketTest, QueryOverSocket) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  struct Close {
    int* fds;
    ~Close() {
      close(fds[0]);
      close(fds[1]);
    }
  } closer{sv};
  QueryOptions o;
  o.now_ms = testing::test_now();
  std::jthread server([&] {
    // Serve two requests, reading frames like smbtad does.
    for (int i = 0; i < 2; ++i) {
      char head[kHeaderSize];
      if (recv(sv[1], head, sizeof head, MSG_WAITALL) != static_cast<ssize_t>(sizeof head)) return;
      FrameHeader h;
      if (parse_header(std::string_view(head, sizeof head), 1 << 20, h) != ProtocolError::kNone)
        return;
      std::string body(h.body_length, '\0');
      recv(sv[1], body.data(), body.size(), MSG_WAITALL);
      const std::string reply = serve_query_request(body, *conn_, o);
      send(sv[1], reply.data(), reply.size(), 0);
    }
  });
  // On a failed expectation below, unblock the server before the jthread joins it.
  struct Unblock {
    int fd;
    ~Unblock() { shutdown(fd, SHUT_RDWR); }
  } unblock{sv[1]};
  auto r = query_over_socket(sv[0], "global, total rw, list domains;", 10000);
  EXPECT_EQ(r, run("global, total rw, list domains;", *conn_, o));
  try {
    query_over_socket(sv[0], "global, totl rw;", 10000);
    ADD_FAILURE() << "no error";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), QueryError::Kind::kSyntax);
    EXPECT_NE(std::string(e.what()).find("did you mean 'total'"), std::string::npos);
  }
  server.join();
  EXPECT_THROW(encode_query_request(std::string(10000, 'x')), std::length_error);
  // A body that is not a query gets an error reply, not a crash.
  EXPECT_NE(serve_query_request("~~0001", *conn_, o).find("QE"), std::string::npos);
  EXPECT_NE(serve_query_request("QQ99", *conn_, o).find("QE"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Drivers, SocketTest,
                         ::testing::Values(testing::Param{"sqlite3", false},
                                           testing::Param{"pgsql", true},
                                           testing::Param{"mysql", true}),
                         testing::param_name);

}  // namespace
}  // namespace smbta::query
