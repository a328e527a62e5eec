// SPDX-License-Identifier: GPL-3.0-or-later
// The incremental decoder: arbitrary chunking, truncation at every byte, every rejection rule.
#include "smbta/stream_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "support/test_records.h"

namespace smbta {
namespace {

using Status = StreamDecoder::Status;

AesKey test_key() {
  AesKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>('a' + i);
  return k;
}

std::string encode_all(const std::vector<Record>& records, LegacyCipher* cipher = nullptr) {
  std::string s;
  for (const auto& r : records) s += encode_frame(r, cipher);
  return s;
}

std::vector<Record> drain(StreamDecoder& d) {
  std::vector<Record> out;
  Record r;
  for (;;) {
    auto st = d.next(r);
    if (st == Status::kRecord)
      out.push_back(r);
    else if (st == Status::kNeedMore)
      return out;
    else
      ADD_FAILURE() << "unexpected status, error: " << describe(d.error());
    if (st == Status::kFatal || st == Status::kBadRecord) return out;
  }
}

std::vector<Record> three_records() {
  std::vector<Record> v{testing::example_record(Op::kWrite), testing::example_record(Op::kMkdir),
                        testing::example_record(Op::kRead)};
  v[0].length = 65536;
  v[1].mode = 0755;
  v[2].common_blocks = 6;
  v[2].client_ip.clear();
  v[2].length = 10;
  return v;
}

TEST(StreamDecoder, OneByteAtATime) {
  const auto records = three_records();
  const std::string stream = encode_all(records);
  StreamDecoder d;
  std::vector<Record> got;
  for (char c : stream) {
    d.feed(std::string_view(&c, 1));
    auto more = drain(d);
    got.insert(got.end(), more.begin(), more.end());
  }
  EXPECT_EQ(got, records);
  EXPECT_EQ(d.finish(), Status::kNeedMore);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(StreamDecoder, TruncationAtEveryByteOffset) {
  const auto records = three_records();
  std::vector<std::size_t> ends;  // stream offsets at which each frame is complete
  std::string stream;
  for (const auto& r : records) {
    stream += encode_frame(r);
    ends.push_back(stream.size());
  }
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    StreamDecoder d;
    d.feed(std::string_view(stream).substr(0, cut));
    const auto got = drain(d);
    std::size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= cut) ++complete;
    ASSERT_EQ(got.size(), complete) << "cut at " << cut;
    for (std::size_t i = 0; i < complete; ++i) EXPECT_EQ(got[i], records[i]);
    const bool on_boundary = cut == 0 || (complete > 0 && ends[complete - 1] == cut);
    if (on_boundary) {
      EXPECT_EQ(d.finish(), Status::kNeedMore) << "cut at " << cut;
    } else {
      EXPECT_EQ(d.finish(), Status::kFatal) << "cut at " << cut;
      EXPECT_EQ(d.error(), ProtocolError::kTruncatedStream);
    }
  }
}

class RandomChunking : public ::testing::TestWithParam<bool> {};

TEST_P(RandomChunking, RoundTripsGeneratedRecords) {
  const bool encrypted = GetParam();
  std::mt19937_64 rng(encrypted ? 99 : 42);
  std::vector<Record> records;
  for (int i = 0; i < 3000; ++i) records.push_back(testing::random_record(rng));
  LegacyCipher cipher(test_key());
  const std::string stream = encode_all(records, encrypted ? &cipher : nullptr);
  StreamDecoder d({}, encrypted ? std::optional<AesKey>(test_key()) : std::nullopt);
  std::vector<Record> got;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const std::size_t n = std::min<std::size_t>(stream.size() - pos, 1 + rng() % 700);
    auto span = d.prepare(n + 50);  // a socket read may return less than it asked for
    std::copy_n(stream.data() + pos, n, span.data());
    d.commit(n);
    pos += n;
    auto more = drain(d);
    got.insert(got.end(), more.begin(), more.end());
  }
  ASSERT_EQ(got.size(), records.size());
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], records[i]) << "record " << i;
  EXPECT_EQ(d.frames(), records.size());
}

INSTANTIATE_TEST_SUITE_P(PlainAndEncrypted, RandomChunking, ::testing::Bool());

// Feeds `bytes` and expects the decoder to stop with `expected` (stream-fatal rules).
void expect_fatal(std::string_view bytes, ProtocolError expected, DecoderLimits limits = {}) {
  StreamDecoder d(limits);
  d.feed(bytes);
  Record r;
  Status st;
  while ((st = d.next(r)) == Status::kRecord) {
  }
  EXPECT_EQ(st, Status::kFatal) << bytes;
  EXPECT_EQ(d.error(), expected) << describe(d.error());
  EXPECT_EQ(d.next(r), Status::kFatal) << "a dead stream stays dead";
}

TEST(StreamDecoderRejects, BadMagic) {
  expect_fatal("GET / HTTP/1.1\r\n\r\n", ProtocolError::kBadMagic);
  expect_fatal("V3", ProtocolError::kBadMagic);  // detected before 26 bytes arrive
}
TEST(StreamDecoderRejects, ProtocolV1Line) {
  expect_fatal(
      "V1,4096,\"holger\",\"WORKGROUP\",\"R\",\"/srv/data\",\"a\",\"2012-05-11 16:01:47.042\"\n",
      ProtocolError::kProtocolV1);
  expect_fatal("V1,", ProtocolError::kProtocolV1);
}
TEST(StreamDecoderRejects, ZeroLength) {
  expect_fatal("V2.00000000000000000000000", ProtocolError::kZeroLength);
}
TEST(StreamDecoderRejects, NonDigitLength) {
  expect_fatal("V2.000000000000000000000-1", ProtocolError::kNonDigitLength);
}
TEST(StreamDecoderRejects, LengthOverLimit) {
  expect_fatal("V2.00000099999999999999999", ProtocolError::kLengthOverLimit);
  expect_fatal("V2.00000000000000000001000", ProtocolError::kLengthOverLimit, {.max_body = 999});
}
TEST(StreamDecoderRejects, EncryptedWithoutKey) {
  expect_fatal("V2.00E00000000000000000160", ProtocolError::kEncryptedWithoutKey);
}
TEST(StreamDecoderRejects, TruncatedStreamAfterGoodRecords) {
  std::string s = encode_frame(testing::example_record(Op::kChdir));
  s += s.substr(0, 40);
  StreamDecoder d;
  d.feed(s);
  EXPECT_EQ(drain(d).size(), 1u);
  EXPECT_EQ(d.finish(), Status::kFatal);
  EXPECT_EQ(d.error(), ProtocolError::kTruncatedStream);
}

// Record-level rules: that frame is dropped, the following frame still decodes.
void expect_bad_record_then_recovery(const std::string& bad_body, ProtocolError expected) {
  std::string stream;
  append_header(stream, bad_body.size(), false);
  stream += bad_body;
  const Record good = testing::example_record(Op::kClose);
  stream += encode_frame(good);
  StreamDecoder d;
  d.feed(stream);
  Record r;
  ASSERT_EQ(d.next(r), Status::kBadRecord);
  EXPECT_EQ(d.error(), expected) << describe(d.error());
  ASSERT_EQ(d.next(r), Status::kRecord);
  EXPECT_EQ(r, good);
}

std::string good_body(Op op) {
  std::string b;
  encode_body(testing::example_record(op), b);
  return b;
}

TEST(StreamDecoderRejects, UnknownOpIdKeepsTheStream) {
  std::string b = good_body(Op::kClose);
  b.replace(5, 5, "000299");
  expect_bad_record_then_recovery(b, ProtocolError::kUnknownOp);
}
TEST(StreamDecoderRejects, TooFewCommonBlocksKeepsTheStream) {
  std::string b = good_body(Op::kClose);
  b[4] = '5';
  expect_bad_record_then_recovery(b, ProtocolError::kTooFewCommonBlocks);
}
TEST(StreamDecoderRejects, SubBlockPastBodyKeepsTheStream) {
  std::string b = good_body(Op::kClose);
  b.replace(b.find("0015docs"), 4, "0999");
  expect_bad_record_then_recovery(b, ProtocolError::kSubBlockPastBody);
}

// A key that differs from the sender's is named as the likely cause, and the stream goes on
// (the framing is plaintext, so the next frame is found); a right key keeps the specific error.
TEST(StreamDecoderRejects, WrongKeyIsNamed) {
  LegacyCipher sender(test_key());
  AesKey other = test_key();
  other[0] ^= 1;
  StreamDecoder d({}, other);
  d.feed(encode_all(three_records(), &sender));
  Record r;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(d.next(r), Status::kBadRecord);
    EXPECT_EQ(d.error(), ProtocolError::kUndecipherable) << describe(d.error());
  }
  EXPECT_EQ(d.next(r), Status::kNeedMore);
  EXPECT_NE(describe(ProtocolError::kUndecipherable).find("key"), std::string_view::npos);
}

TEST(StreamDecoderRejects, RightKeyKeepsTheRecordsOwnError) {
  LegacyCipher cipher(test_key());
  Record bad = testing::example_record(Op::kRead);
  bad.length = kMaxTransferLength + 1;
  StreamDecoder d({}, test_key());
  d.feed(encode_frame(bad, &cipher) + encode_frame(testing::example_record(Op::kClose), &cipher));
  Record r;
  ASSERT_EQ(d.next(r), Status::kBadRecord);
  EXPECT_EQ(d.error(), ProtocolError::kNumberOutOfRange) << describe(d.error());
  EXPECT_EQ(d.next(r), Status::kRecord);
}

}  // namespace
}  // namespace smbta
