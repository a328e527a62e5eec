// SPDX-License-Identifier: GPL-3.0-or-later
// The encrypted worked examples of docs/protocol.md.
#include "smbta/legacy_cipher.h"

#include <gtest/gtest.h>

#include "smbta/stream_decoder.h"
#include "smbta/timestamp.h"
#include "smbta/v2_codec.h"
#include "support/test_records.h"

namespace smbta {
namespace {

AesKey example_key() {
  AesKey k{};
  const std::string_view text = "0123456789abcdef";
  for (std::size_t i = 0; i < 16; ++i) k[i] = static_cast<std::uint8_t>(text[i]);
  return k;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

Record read_example() {
  Record r = testing::example_record(Op::kRead);
  r.timestamp_ms = *parse_timestamp("2012-05-11 16:01:48.500");
  r.length = 4096;
  return r;
}

Record write_example() {
  Record r = testing::example_record(Op::kWrite);
  r.length = 65536;
  return r;
}

constexpr std::string_view kReadCipherHex =
    "36a072e25af319bd21aa2fd69812481b93caec4e5875a255a49d6fcc56c63df8"
    "bf6bb2ead5828c2d78c44cfaf0b22f61999358058b28a8aa6f2e429aa788da92"
    "5f5b9692bec325632376897147091da2bafb271f136f259b289b5be13300ef29"
    "57c53cc72100185d0e7ff74f904b11d8ed042dc028d9db1af4045bf7fb37b324"
    "b2e5f26c84da49da1209c271d09a7f1f46500dc8bbecdcec3a7315aa2bbaf5b9";

TEST(LegacyCipher, EncryptedReadExampleByteForByte) {
  LegacyCipher c(example_key());
  const std::string frame = encode_frame(read_example(), &c);
  EXPECT_EQ(frame.substr(0, kHeaderSize), "V2.00E00000000000000000160");
  EXPECT_EQ(hex(frame.substr(kHeaderSize)), kReadCipherHex);
}

TEST(LegacyCipher, EncryptedWriteExampleAppendsAFullFillerBlock) {
  LegacyCipher c(example_key());
  const std::string frame = encode_frame(write_example(), &c);
  EXPECT_EQ(frame.substr(0, kHeaderSize), "V2.00E00000000000000000176");
  EXPECT_EQ(hex(frame.substr(kHeaderSize, 16)), "61ca1789a30f82d2f9027dffd6551293");
  // ECB: blocks 1-5 of the read and write examples are equal.
  const std::string read = unhex(kReadCipherHex);
  EXPECT_EQ(frame.substr(kHeaderSize + 16, 80), read.substr(16, 80));
  std::string plain;
  c.decrypt(frame.substr(kHeaderSize), plain);
  EXPECT_EQ(plain.substr(160), std::string(16, '.'));
}

TEST(LegacyCipher, DecryptsTheSpecCiphertextToTheReadRecord) {
  StreamDecoder d({}, example_key());
  d.feed("V2.00E00000000000000000160" + unhex(kReadCipherHex));
  Record r;
  ASSERT_EQ(d.next(r), StreamDecoder::Status::kRecord);
  EXPECT_EQ(r, read_example());
}

TEST(LegacyCipher, PaddingFromOlderSendersIsIgnored) {
  // smbtad/smbtatools encryptors padded with NUL and whatever followed the string in memory.
  LegacyCipher c(example_key());
  std::string body;
  encode_body(read_example(), body);
  std::string padded = body + std::string("\0\x7f\x13garbag", 10);
  padded.resize((padded.size() + 15) / 16 * 16, 'Z');
  std::string cipher;
  c.encrypt(padded, cipher);
  cipher.resize(padded.size());  // drop our own filler block: the old senders sent none extra
  std::string frame;
  append_header(frame, cipher.size(), true);
  StreamDecoder d({}, example_key());
  d.feed(frame + cipher);
  Record r;
  ASSERT_EQ(d.next(r), StreamDecoder::Status::kRecord);
  EXPECT_EQ(r, read_example());
}

TEST(LegacyCipher, MonitorResultExample) {
  // §7.5: smbtad's NUL-padded encryption of the result "0001100044096".
  LegacyCipher c(example_key());
  std::string plain = "0001100044096";
  plain.resize(16, '\0');
  std::string cipher;
  c.encrypt(plain, cipher);
  EXPECT_EQ(hex(cipher.substr(0, 16)), "198df1dd15d60dbf5630157b9a2c818a");
}

}  // namespace
}  // namespace smbta
