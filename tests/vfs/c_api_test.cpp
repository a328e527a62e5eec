// SPDX-License-Identifier: GPL-3.0-or-later
// The C encoder API the VFS module uses: byte-exact against the worked examples of
// docs/protocol.md and against smbta's own decoder, and the anonymization hash against Samba's
// (libtdb's) implementation.
#include "smbta/v2_c_api.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "smbta/stream_decoder.h"
#include "smbta/timestamp.h"
#include "smbta/v2_codec.h"

#ifdef SMBTA_HAVE_TDB
#include <sys/types.h>
#include <tdb.h>
#endif

namespace {

constexpr const char* kSid = "S-1-5-21-3623811015-3361044348-30300820-1013";

smbta_c_record spec_record(int op, const char* ts) {
  smbta_c_record r{};
  r.op = op;
  r.user = "holger";
  r.sid = kSid;
  r.share = "data";
  r.domain = "WORKGROUP";
  r.client_ip = "192.168.1.23";
  r.timestamp_ms = *smbta::parse_timestamp(ts);
  r.latency_us = -1;
  return r;
}

std::string encode(const smbta_c_record& r, smbta_c_cipher* c = nullptr) {
  const size_t n = smbta_c_encode_frame(&r, c, nullptr, 0);
  std::string out(n, '\0');
  EXPECT_EQ(smbta_c_encode_frame(&r, c, out.data(), out.size()), n);
  return out;
}

TEST(VfsCApi, WriteRecordMatchesSpec71) {
  auto r = spec_record(SMBTA_C_OP_WRITE, "2012-05-11 16:01:47.042");
  r.path = "docs/report.odt";
  r.length = 65536;
  EXPECT_EQ(encode(r),
            "V2.00000000000000000000160"
            "00017000120006holger0044S-1-5-21-3623811015-3361044348-30300820-10130004data"
            "0009WORKGROUP00232012-05-11 16:01:47.0420012192.168.1.230015docs/report.odt"
            "000565536");
}

TEST(VfsCApi, RenameRecordMatchesSpec73) {
  auto r = spec_record(SMBTA_C_OP_RENAME, "2012-05-11 16:01:49.007");
  r.path = "docs/old.txt";
  r.path2 = "docs/new.txt";
  r.result = 0;
  EXPECT_EQ(encode(r),
            "V2.00000000000000000000169"
            "00017000160006holger0044S-1-5-21-3623811015-3361044348-30300820-10130004data"
            "0009WORKGROUP00232012-05-11 16:01:49.0070012192.168.1.230012docs/old.txt"
            "0012docs/new.txt00010");
}

TEST(VfsCApi, EncryptedReadMatchesSpec74) {
  auto r = spec_record(SMBTA_C_OP_READ, "2012-05-11 16:01:48.500");
  r.path = "docs/report.odt";
  r.length = 4096;
  const unsigned char key[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                 '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  smbta_c_cipher* c = smbta_c_cipher_new(key);
  ASSERT_NE(c, nullptr);
  const std::string f = encode(r, c);
  smbta_c_cipher_free(c);
  ASSERT_EQ(f.size(), 26u + 160u);
  EXPECT_EQ(f.substr(0, 26), "V2.00E00000000000000000160");
  const unsigned char block0[16] = {0x36, 0xa0, 0x72, 0xe2, 0x5a, 0xf3, 0x19, 0xbd,
                                    0x21, 0xaa, 0x2f, 0xd6, 0x98, 0x12, 0x48, 0x1b};
  EXPECT_EQ(f.substr(26, 16), std::string(reinterpret_cast<const char*>(block0), 16));
}

TEST(VfsCApi, LatencyIsCommonBlock8AndDecodes) {
  auto r = spec_record(SMBTA_C_OP_UNLINK, "2024-01-02 03:04:05.678");
  r.latency_us = 1234;
  r.path = "a/b.txt";
  r.result = SMBTA_C_FAILED;
  smbta::StreamDecoder d;
  d.feed(encode(r));
  smbta::Record out;
  ASSERT_EQ(d.next(out), smbta::StreamDecoder::Status::kRecord);
  EXPECT_EQ(out.op, smbta::Op::kUnlink);
  EXPECT_EQ(out.common_blocks, 8u);
  EXPECT_EQ(out.latency_us, 1234u);
  EXPECT_EQ(out.client_ip, "192.168.1.23");
  EXPECT_EQ(out.path, "a/b.txt");
  EXPECT_EQ(out.result, 4294967295ULL);
}

TEST(VfsCApi, SmallBufferWritesNothing) {
  auto r = spec_record(SMBTA_C_OP_CHDIR, "2024-01-02 03:04:05.678");
  r.path = "/srv/share";
  char buf[10];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_GT(smbta_c_encode_frame(&r, nullptr, buf, sizeof buf), sizeof buf);
  EXPECT_EQ(std::string(buf, sizeof buf), std::string(10, 'x'));
}

TEST(VfsCApi, OverlongValueIsRefused) {
  auto r = spec_record(SMBTA_C_OP_CHDIR, "2024-01-02 03:04:05.678");
  const std::string big(10000, 'a');
  r.path = big.c_str();
  EXPECT_EQ(smbta_c_encode_frame(&r, nullptr, nullptr, 0), 0u);
}

TEST(VfsCApi, DropNoticeDecodesAndKeepsTheStream) {
  auto r = spec_record(SMBTA_C_OP_CLOSE, "2024-01-02 03:04:05.678");
  const size_t n = smbta_c_encode_drop_notice(&r, 42, 8400, nullptr, nullptr, 0);
  std::string f(n, '\0');
  ASSERT_EQ(smbta_c_encode_drop_notice(&r, 42, 8400, nullptr, f.data(), f.size()), n);
  r.path = "x";
  f += encode(r);
  smbta::StreamDecoder d;
  d.feed(f);
  smbta::Record out;
  // smbta's decoder knows op 90 (records in `result`, bytes in `length`); older receivers drop
  // it as an unknown op and keep the connection.
  ASSERT_EQ(d.next(out), smbta::StreamDecoder::Status::kRecord);
  EXPECT_EQ(out.op, smbta::Op::kDropNotice);
  EXPECT_EQ(out.result, 42u);
  EXPECT_EQ(out.length, 8400u);
  ASSERT_EQ(d.next(out), smbta::StreamDecoder::Status::kRecord);
  EXPECT_EQ(out.path, "x");
  // The op-specific blocks: records, bytes.
  smbta::SubBlockReader rd(std::string_view(f).substr(26, n - 26));
  std::string_view v;
  // count, op, user, sid, share, domain, timestamp, client ip
  for (int i = 0; i < 8; ++i) ASSERT_EQ(rd.next(v), smbta::ProtocolError::kNone);
  ASSERT_EQ(rd.next(v), smbta::ProtocolError::kNone);
  EXPECT_EQ(v, "42");
  ASSERT_EQ(rd.next(v), smbta::ProtocolError::kNone);
  EXPECT_EQ(v, "8400");
}

TEST(VfsCApi, StrChecksumVectors) {
  EXPECT_EQ(smbta_c_str_checksum("holger"), 489043484);
  EXPECT_EQ(smbta_c_str_checksum(kSid), -554215023);
}

#ifdef SMBTA_HAVE_TDB
TEST(VfsCApi, StrChecksumEqualsTdbJenkinsHash) {
  std::mt19937 rng(7);
  for (int len = 0; len < 80; ++len) {
    std::string s;
    for (int i = 0; i < len; ++i) s.push_back(static_cast<char>(1 + rng() % 255));
    TDB_DATA d{reinterpret_cast<unsigned char*>(s.data()), s.size()};
    EXPECT_EQ(smbta_c_str_checksum(s.c_str()), static_cast<int32_t>(tdb_jenkins_hash(&d)))
        << "length " << len;
  }
}
#endif

TEST(VfsCApi, KeyFileErrorsAreMessages) {
  char tmpl[] = "/tmp/smbta-key-XXXXXX";
  const int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "0123456789abcdef\n", 17), 17);
  close(fd);
  unsigned char key[16];
  char err[256];
  ASSERT_EQ(chmod(tmpl, 0644), 0);
  EXPECT_EQ(smbta_c_load_key_file(tmpl, key, err, sizeof err), -1);
  EXPECT_NE(std::string(err).find("group or others"), std::string::npos) << err;
  ASSERT_EQ(chmod(tmpl, 0600), 0);
  EXPECT_EQ(smbta_c_load_key_file(tmpl, key, err, sizeof err), 0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(key), 16), "0123456789abcdef");
  unlink(tmpl);
}

}  // namespace
