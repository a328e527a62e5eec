// SPDX-License-Identifier: GPL-3.0-or-later
// The worked examples of docs/protocol.md, byte for byte, in both directions.
#include "smbta/v2_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "smbta/timestamp.h"
#include "support/test_records.h"

namespace smbta {
namespace {

using testing::example_record;

constexpr std::string_view kSidBlock = "0044S-1-5-21-3623811015-3361044348-30300820-1013";

std::string common_prefix(char op, std::string_view ts) {
  return std::string("00017") + "0001" + op + "0006holger" + std::string(kSidBlock) +
         "0004data0009WORKGROUP0023" + std::string(ts) + "0012192.168.1.23";
}

const std::string kWriteBody =
    common_prefix('2', "2012-05-11 16:01:47.042") + "0015docs/report.odt000565536";
const std::string kReadBody =
    common_prefix('0', "2012-05-11 16:01:48.500") + "0015docs/report.odt00044096";
const std::string kRenameBody =
    common_prefix('6', "2012-05-11 16:01:49.007") + "0012docs/old.txt0012docs/new.txt00010";

Record write_example() {
  Record r = example_record(Op::kWrite);
  r.length = 65536;
  return r;
}
Record read_example() {
  Record r = example_record(Op::kRead);
  r.timestamp_ms = *parse_timestamp("2012-05-11 16:01:48.500");
  r.length = 4096;
  return r;
}
Record rename_example() {
  Record r = example_record(Op::kRename);
  r.timestamp_ms = *parse_timestamp("2012-05-11 16:01:49.007");
  r.path = "docs/old.txt";
  r.path2 = "docs/new.txt";
  r.result = 0;
  return r;
}

struct Example {
  Record record;
  std::string body;
  std::string header;
};

class WorkedExample : public ::testing::TestWithParam<int> {
 protected:
  Example example() const {
    switch (GetParam()) {
      case 0:
        return {write_example(), kWriteBody, "V2.00000000000000000000160"};
      case 1:
        return {read_example(), kReadBody, "V2.00000000000000000000159"};
      default:
        return {rename_example(), kRenameBody, "V2.00000000000000000000169"};
    }
  }
};

TEST_P(WorkedExample, EncodesByteForByte) {
  const Example ex = example();
  std::string body;
  encode_body(ex.record, body);
  EXPECT_EQ(body, ex.body);
  EXPECT_EQ(encode_frame(ex.record), ex.header + ex.body);
}

TEST_P(WorkedExample, DecodesToTheSameRecord) {
  const Example ex = example();
  FrameHeader h;
  ASSERT_EQ(parse_header(ex.header, 65536, h), ProtocolError::kNone);
  EXPECT_FALSE(h.encrypted);
  EXPECT_EQ(h.body_length, ex.body.size());
  Record r;
  ASSERT_EQ(parse_body(ex.body, r), ProtocolError::kNone);
  EXPECT_EQ(r, ex.record);
}

INSTANTIATE_TEST_SUITE_P(Protocol, WorkedExample, ::testing::Values(0, 1, 2));

TEST(V2Codec, FailedOpenMatchesTheSpecShape) {
  Record r = example_record(Op::kOpen);
  r.timestamp_ms = *parse_timestamp("2012-05-11 16:01:47.042");
  r.mode = 0644;
  r.result = kFailedResult;
  std::string body;
  encode_body(r, body);
  EXPECT_EQ(body.size(), 172u);
  EXPECT_EQ(body.substr(0, 17), "00017000180006hol");
  EXPECT_TRUE(body.ends_with("0015docs/report.odt000342000104294967295"));
  Record back;
  ASSERT_EQ(parse_body(body, back), ProtocolError::kNone);
  EXPECT_EQ(back.mode, 0644u);
  EXPECT_EQ(back.result, kFailedResult);
}

TEST(V2Codec, SixCommonBlocksHaveNoClientIp) {
  Record r = write_example();
  r.client_ip.clear();
  r.common_blocks = 6;
  std::string body;
  encode_body(r, body);
  EXPECT_TRUE(body.starts_with("00016"));
  EXPECT_EQ(body.find("192.168"), std::string::npos);
  Record back;
  ASSERT_EQ(parse_body(body, back), ProtocolError::kNone);
  EXPECT_EQ(back, r);
}

TEST(V2Codec, UnknownExtraCommonBlocksAreSkipped) {
  // A future module sending 9 common blocks: blocks 8 (latency) and 9 (unknown) follow the IP.
  std::string body =
      "00019"
      "00012"
      "0006holger" +
      std::string(kSidBlock) +
      "0004data0009WORKGROUP00232012-05-11 16:01:47.0420012192.168.1.23"
      "00031230005extra0015docs/report.odt000565536";
  Record r;
  ASSERT_EQ(parse_body(body, r), ProtocolError::kNone);
  EXPECT_EQ(r.common_blocks, 9u);
  EXPECT_EQ(r.client_ip, "192.168.1.23");
  ASSERT_TRUE(r.latency_us.has_value());
  EXPECT_EQ(*r.latency_us, 123u);
  EXPECT_EQ(r.path, "docs/report.odt");
  EXPECT_EQ(r.length, 65536u);
}

TEST(V2Codec, TrailingPaddingIsIgnored) {
  Record r;
  ASSERT_EQ(parse_body(kReadBody + ".\0garbage", r), ProtocolError::kNone);
  EXPECT_EQ(r, read_example());
}

TEST(V2Codec, FourDigitSubBlockLengthsAreParsedInFull) {
  // 1.2.6 read only three of the four digits; a 1234-byte name must survive.
  Record r = write_example();
  r.path = std::string(1234, 'f');
  std::string body;
  encode_body(r, body);
  Record back;
  ASSERT_EQ(parse_body(body, back), ProtocolError::kNone);
  EXPECT_EQ(back.path.size(), 1234u);
}

TEST(V2Codec, ValueOverNineThousandNineHundredNinetyNineBytesIsRefused) {
  Record r = write_example();
  r.path = std::string(10000, 'f');
  std::string body;
  EXPECT_THROW(encode_body(r, body), std::length_error);
}

TEST(V2Codec, EveryOpRoundTrips) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Record r = testing::random_record(rng);
    std::string body;
    encode_body(r, body);
    Record back;
    ASSERT_EQ(parse_body(body, back), ProtocolError::kNone) << body;
    EXPECT_EQ(back, r) << body;
  }
}

TEST(V2Codec, ModuleDropNoticeRoundTrips) {
  Record r = example_record(Op::kDropNotice);
  r.path.clear();
  r.result = 1964;    // records
  r.length = 311012;  // bytes
  std::string body;
  encode_body(r, body);
  EXPECT_NE(body.find("000290"), std::string::npos) << "op id 90";
  EXPECT_TRUE(
      body.ends_with("0012192.168.1.2300041964"
                     "0006311012"))
      << body;
  Record back;
  ASSERT_EQ(parse_body(body, back), ProtocolError::kNone);
  EXPECT_EQ(back, r);
}

// One test per body rejection rule, each asserting its own error.
TEST(V2CodecRejects, TooFewCommonBlocks) {
  Record r;
  EXPECT_EQ(parse_body("00015" + kReadBody.substr(5), r), ProtocolError::kTooFewCommonBlocks);
}

// The ops smbta added after copy: each one's fields survive the round trip under its name.
TEST(V2Codec, AddedOpsRoundTrip) {
  for (Op op : {Op::kTruncate, Op::kAllocate, Op::kChmod, Op::kChown, Op::kSetAcl, Op::kSetAttr,
                Op::kSetTimes, Op::kConnect}) {
    Record r = example_record(op);
    r.common_blocks = 8;
    r.latency_us = 1234;
    if (shape_of(op) == OpShape::kTwoPathsResult) r.path2 = "1000:-1";
    if (shape_of(op) == OpShape::kPathSizeResult) r.length = 5ULL << 40;  // past 4 GiB
    if (shape_of(op) == OpShape::kPathModeResult) r.mode = 0x20;
    r.result = kFailedResult;
    std::string body;
    encode_body(r, body);
    Record back;
    ASSERT_EQ(parse_body(body, back), ProtocolError::kNone) << op_name(op);
    EXPECT_EQ(back, r) << op_name(op);
    EXPECT_EQ(op_from_int(static_cast<int>(op)), op);
  }
  EXPECT_EQ(op_name(Op::kSetAcl), "setacl");
  EXPECT_EQ(op_name(Op::kConnect), "connect");
}

TEST(V2CodecRejects, UnknownOpId) {
  std::string body = kReadBody;
  body.replace(5, 5, "000242");  // op id 42
  Record r;
  EXPECT_EQ(parse_body(body, r), ProtocolError::kUnknownOp);
}

TEST(V2CodecRejects, SubBlockPastBody) {
  Record r;
  EXPECT_EQ(parse_body(kReadBody.substr(0, kReadBody.size() - 2), r),
            ProtocolError::kSubBlockPastBody);
  std::string body = kReadBody;
  body.replace(body.find("0015docs"), 4, "9999");
  EXPECT_EQ(parse_body(body, r), ProtocolError::kSubBlockPastBody);
}

TEST(V2CodecRejects, NonDigitSubBlockLength) {
  std::string body = kReadBody;
  body.replace(body.find("0015docs"), 4, "00x5");
  Record r;
  EXPECT_EQ(parse_body(body, r), ProtocolError::kSubBlockNonDigitLength);
}

TEST(V2CodecRejects, NonNumericLength) {
  std::string body = kReadBody;
  body.replace(body.size() - 4, 4, "40-6");
  Record r;
  EXPECT_EQ(parse_body(body, r), ProtocolError::kBadNumber);
}

TEST(V2CodecRejects, BadTimestamp) {
  std::string body = kReadBody;
  body.replace(body.find("2012-05-11"), 10, "2012-13-11");
  Record r;
  EXPECT_EQ(parse_body(body, r), ProtocolError::kBadTimestamp);
}

// Every number is bounded where it enters: a sum of stored values must never overflow 64 bits.
// Each field accepts exactly its bound and refuses one more, up to the largest 20-digit value.
struct NumberBound {
  Op op;
  std::uint64_t Record::*field;
  std::uint64_t max;
};

class V2CodecBounds : public ::testing::TestWithParam<NumberBound> {};

TEST_P(V2CodecBounds, AcceptTheBoundAndRefuseOneMore) {
  const NumberBound b = GetParam();
  for (std::uint64_t v : {b.max, b.max + 1, std::numeric_limits<std::uint64_t>::max()}) {
    Record r = example_record(b.op);
    r.*b.field = v;
    std::string body;
    encode_body(r, body);
    Record back;
    EXPECT_EQ(parse_body(body, back),
              v == b.max ? ProtocolError::kNone : ProtocolError::kNumberOutOfRange)
        << op_name(b.op) << " value " << v;
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryNumericField, V2CodecBounds,
    ::testing::Values(NumberBound{Op::kRead, &Record::length, kMaxTransferLength},
                      NumberBound{Op::kPwrite, &Record::length, kMaxTransferLength},
                      NumberBound{Op::kCopy, &Record::length, kMaxCopyLength},
                      NumberBound{Op::kOpen, &Record::result, kMaxResult},
                      NumberBound{Op::kMkdir, &Record::result, kMaxResult},
                      NumberBound{Op::kClose, &Record::result, kMaxResult},
                      NumberBound{Op::kRename, &Record::result, kMaxResult},
                      NumberBound{Op::kTruncate, &Record::length, kMaxFileSize},
                      NumberBound{Op::kAllocate, &Record::result, kMaxResult},
                      NumberBound{Op::kChown, &Record::result, kMaxResult},
                      NumberBound{Op::kSetTimes, &Record::result, kMaxResult},
                      NumberBound{Op::kDropNotice, &Record::result, kMaxDropCount},
                      NumberBound{Op::kDropNotice, &Record::length, kMaxDropCount}));

TEST(V2CodecBounds, LatencyAndMode) {
  Record r = example_record(Op::kWrite);
  r.common_blocks = 8;
  Record back;
  std::string body;
  r.latency_us = kMaxLatencyUs;
  encode_body(r, body);
  EXPECT_EQ(parse_body(body, back), ProtocolError::kNone);
  EXPECT_EQ(back.latency_us, kMaxLatencyUs);
  r.latency_us = kMaxLatencyUs + 1;
  body.clear();
  encode_body(r, body);
  EXPECT_EQ(parse_body(body, back), ProtocolError::kNumberOutOfRange);

  Record m = example_record(Op::kMkdir);
  m.mode = 0;
  m.result = 0;
  std::string mkdir;
  encode_body(m, mkdir);
  ASSERT_EQ(mkdir.substr(mkdir.size() - 10), "0001000010");  // mode 0, result 0
  mkdir.replace(mkdir.size() - 10, 5,
                "0010"
                "4294967296");  // mode 2^32
  EXPECT_EQ(parse_body(mkdir, back), ProtocolError::kNumberOutOfRange) << mkdir;
}

TEST(V2Header, RejectionRules) {
  FrameHeader h;
  EXPECT_EQ(parse_header("V3.00000000000000000000159", 65536, h), ProtocolError::kBadMagic);
  EXPECT_EQ(parse_header("V2.x0000000000000000000159", 65536, h), ProtocolError::kBadMagic);
  EXPECT_EQ(parse_header("V2.00000000000000000000000", 65536, h), ProtocolError::kZeroLength);
  EXPECT_EQ(parse_header("V2.000000000000000000001x9", 65536, h), ProtocolError::kNonDigitLength);
  EXPECT_EQ(parse_header("V2.000000-0000000000000159", 65536, h), ProtocolError::kNonDigitLength);
  EXPECT_EQ(parse_header("V2.00000099999999999999999", 65536, h), ProtocolError::kLengthOverLimit);
  EXPECT_EQ(parse_header("V2.00000000000000000065537", 65536, h), ProtocolError::kLengthOverLimit);
  EXPECT_EQ(parse_header("V2.00X00000000000000000159", 65536, h), ProtocolError::kBadFlags);
  EXPECT_EQ(parse_header("V2.00E00000000000000000159", 65536, h),
            ProtocolError::kCipherLengthNotBlockMultiple);
  EXPECT_EQ(parse_header("V1,4096,\"holger\",\"WORKGROU", 65536, h), ProtocolError::kProtocolV1);
}

TEST(V2Header, AllSeventeenDigitsCount) {
  // 1.2.6 used atoi(header + 11) and ignored the first two digits.
  FrameHeader h;
  EXPECT_EQ(parse_header("V2.00000010000000000000159", UINT64_MAX, h), ProtocolError::kNone);
  EXPECT_EQ(h.body_length, 10000000000000159ULL);
}

TEST(V2Header, SubReleaseAndEncryptionFlagAreRead) {
  FrameHeader h;
  ASSERT_EQ(parse_header("V2.30E00000000000000000160", 65536, h), ProtocolError::kNone);
  EXPECT_EQ(h.subrelease, 3);
  EXPECT_TRUE(h.encrypted);
  std::string out;
  append_header(out, 160, true);
  EXPECT_EQ(out, "V2.00E00000000000000000160");
}

}  // namespace
}  // namespace smbta

namespace smbta {
namespace {

// docs/protocol.md "Sequence numbers": block 9 carries ["r"]<sequence>:<sender>.
TEST(V2Codec, SequenceNumberIsCommonBlockNine) {
  Record r;
  r.op = Op::kWrite;
  r.user = "holger";
  r.share = "data";
  r.timestamp_ms = *parse_timestamp("2012-05-11 16:01:47.042");
  r.client_ip = "192.168.1.23";
  r.path = "a";
  r.length = 7;
  r.sequence = 42;
  r.sender = "fs1:4242:0badcafe";
  std::string body;
  encode_body(r, body);
  // Block 8 (latency) is present and empty when the call was not timed.
  EXPECT_EQ(body,
            "00019000120006holger00000004data000000232012-05-11 16:01:47.0420012192.168.1.23"
            "0000002042:fs1:4242:0badcafe0001a00017");
  Record back;
  ASSERT_EQ(parse_body(body, back), ProtocolError::kNone);
  EXPECT_EQ(back.common_blocks, 9u);
  EXPECT_EQ(back.sequence, 42u);
  EXPECT_EQ(back.sender, "fs1:4242:0badcafe");
  EXPECT_FALSE(back.replayed);
  EXPECT_FALSE(back.latency_us.has_value());
  r.common_blocks = 9;  // as the decoder reports what it received
  EXPECT_EQ(back, r);
  r.replayed = true;
  r.latency_us = 5;
  body.clear();
  encode_body(r, body);
  EXPECT_NE(body.find("0021r42:fs1:4242:0badcafe"), std::string::npos);
  ASSERT_EQ(parse_body(body, back), ProtocolError::kNone);
  EXPECT_EQ(back, r);
  // The largest number a receiver takes, and the largest there is (the encoder formats it in
  // a fixed buffer): every digit.
  r.sequence = kMaxSequence;
  body.clear();
  encode_body(r, body);
  EXPECT_NE(body.find("0038r4611686018427387904:fs1:4242:0badcafe"), std::string::npos);
  ASSERT_EQ(parse_body(body, back), ProtocolError::kNone);
  EXPECT_EQ(back, r);
  r.sequence = std::numeric_limits<std::uint64_t>::max();
  body.clear();
  encode_body(r, body);
  EXPECT_NE(body.find("0039r18446744073709551615:fs1:4242:0badcafe"), std::string::npos);
}

TEST(V2Codec, AMalformedBlockNineIsSkippedNotFatal) {
  // What a 1.2.x receiver does with any block beyond 6, smbta does with a block 9 that is not
  // a sequence number: skip it and keep the record.
  for (std::string_view v :
       {"extra", "0:fs1", "12:", "x12:fs1", "12:fs 1", "99999999999999999999:fs1"}) {
    std::string body =
        "00019000120006holger00000004data000000232012-05-11 16:01:47.042"
        "0000";
    body += "0000";
    append_sub_block(body, v);
    body += "0001a00017";
    Record r;
    ASSERT_EQ(parse_body(body, r), ProtocolError::kNone) << v;
    EXPECT_EQ(r.sequence, 0u) << v;
    EXPECT_TRUE(r.sender.empty()) << v;
    EXPECT_EQ(r.length, 7u) << v;
  }
}

TEST(V2Codec, WithoutSequenceTheBodyIsUnchanged) {
  // A record without a number is byte for byte what smbta sent before (and 1.2.x modules send).
  Record r;
  r.op = Op::kRead;
  r.user = "u";
  r.timestamp_ms = *parse_timestamp("2012-05-11 16:01:47.042");
  r.client_ip = "1.2.3.4";
  r.path = "p";
  r.length = 1;
  std::string body;
  encode_body(r, body);
  EXPECT_TRUE(body.starts_with("00017"));
  EXPECT_EQ(std::count(body.begin(), body.end(), ':'), 2) << "only the timestamp's";
}

}  // namespace
}  // namespace smbta
