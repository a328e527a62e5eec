// SPDX-License-Identifier: GPL-3.0-or-later
// The authenticated transport: handshake, and every tampered, replayed, reordered, missing or
// truncated frame refused with its own reason.
#include "smbta/aead_frame.h"

#include <gtest/gtest.h>

#include <optional>

#include "smbta/stream_decoder.h"
#include "smbta/v2_codec.h"
#include "support/test_records.h"

namespace smbta {
namespace {

using Status = StreamDecoder::Status;

AesKey key_of(char first) {
  AesKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(first + i);
  return k;
}

AeadRandom fixed_random(std::uint8_t v) {
  AeadRandom r;
  r.fill(v);
  return r;
}

std::vector<Record> some_records() {
  std::vector<Record> v{testing::example_record(Op::kWrite), testing::example_record(Op::kMkdir),
                        testing::example_record(Op::kRead), testing::example_record(Op::kRename)};
  v[0].length = 65536;
  v[1].mode = 0755;
  v[2].length = 10;
  return v;
}

// What a module sends on one connection: its hello, then one sealed frame per record. The
// server's hello (random `server`) is what smbtad would answer.
struct Conversation {
  std::string client_stream;
  std::vector<std::size_t> frame_ends;  // offsets in client_stream where each frame ends
  AeadRandom server;
};

Conversation converse(const std::vector<Record>& records, const AesKey& key,
                      const AeadRandom& server, const AeadRandom& client = fixed_random(7)) {
  Conversation c;
  c.server = server;
  append_aead_hello(c.client_stream, client);
  c.frame_ends.push_back(c.client_stream.size());
  std::string server_hello;
  append_aead_hello(server_hello, server);
  StreamDecoder as_client({}, key);
  as_client.expect_server_hello(client);
  as_client.feed(server_hello);
  std::string_view body;
  EXPECT_EQ(as_client.next_body(body), Status::kNeedMore);
  EXPECT_NE(as_client.sealer(), nullptr);
  for (const auto& r : records) {
    std::string plain;
    encode_body(r, plain);
    as_client.sealer()->seal(plain, c.client_stream);
    c.frame_ends.push_back(c.client_stream.size());
  }
  return c;
}

// A receiving smbtad whose hello random is `server` (so the conversation above is its own).
StreamDecoder receiver(const AesKey& key, const AeadRandom& server, bool require = false) {
  StreamDecoder d({}, key);
  d.require_authenticated(require);
  d.set_random_source([server] { return server; });
  return d;
}

// Everything the decoder yields from `stream`, and how it ended.
struct Outcome {
  std::vector<Record> records;
  Status last = Status::kNeedMore;
  ProtocolError error = ProtocolError::kNone;
};

Outcome run(StreamDecoder& d, std::string_view stream, bool finish = true) {
  Outcome o;
  d.feed(stream);
  Record r;
  for (;;) {
    o.last = d.next(r);
    if (o.last == Status::kRecord) {
      o.records.push_back(r);
      continue;
    }
    if (o.last == Status::kNeedMore && finish) o.last = d.finish();
    o.error = d.error();
    return o;
  }
}

TEST(AeadFrame, HandshakeAndRecordsRoundTrip) {
  const auto records = some_records();
  const auto c = converse(records, key_of('a'), fixed_random(9));
  auto d = receiver(key_of('a'), fixed_random(9), true);
  const Outcome o = run(d, c.client_stream);
  EXPECT_EQ(o.last, Status::kNeedMore) << describe(o.error);
  EXPECT_EQ(o.records, records);
  EXPECT_TRUE(d.authenticated());
  // smbtad answers the module's hello with its own, once.
  std::string expected_reply;
  append_aead_hello(expected_reply, fixed_random(9));
  EXPECT_EQ(d.take_reply(), expected_reply);
  EXPECT_EQ(d.take_reply(), "");
}

std::string hello_of(std::uint8_t v) {
  std::string s;
  append_aead_hello(s, fixed_random(v));
  return s;
}

TEST(AeadFrame, KeysDifferPerDirectionAndConnection) {
  const AeadKeys a = derive_aead_keys(key_of('a'), hello_of(1), hello_of(2));
  const AeadKeys b = derive_aead_keys(key_of('a'), hello_of(1), hello_of(3));
  const AeadKeys c = derive_aead_keys(key_of('b'), hello_of(1), hello_of(2));
  EXPECT_NE(a.to_server, a.to_client);
  EXPECT_NE(a.to_server, b.to_server);
  EXPECT_NE(a.to_server, c.to_server);
  EXPECT_EQ(a.to_server, derive_aead_keys(key_of('a'), hello_of(1), hello_of(2)).to_server);
}

TEST(AeadFrame, EveryFlippedByteIsRefused) {
  const auto records = some_records();
  const auto c = converse(records, key_of('a'), fixed_random(9));
  for (std::size_t i = 0; i < c.client_stream.size(); ++i) {
    std::string bad = c.client_stream;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto d = receiver(key_of('a'), fixed_random(9));
    const Outcome o = run(d, bad);
    EXPECT_EQ(o.last, Status::kFatal) << "byte " << i;
    // Records before the damaged frame are delivered unchanged; nothing after it.
    std::size_t frame = 0;
    while (c.frame_ends[frame] <= i) ++frame;
    const std::size_t intact = frame == 0 ? 0 : frame - 1;
    ASSERT_LE(o.records.size(), intact) << "byte " << i;
    for (std::size_t k = 0; k < o.records.size(); ++k) EXPECT_EQ(o.records[k], records[k]);
    EXPECT_EQ(o.records.size(), intact) << "byte " << i << ": " << describe(o.error);
  }
}

TEST(AeadFrame, TamperedBodyFailsAuthentication) {
  const auto c = converse(some_records(), key_of('a'), fixed_random(9));
  std::string bad = c.client_stream;
  bad[c.frame_ends[1] + kHeaderSize + kAeadSeqSize + 3] ^= 0x20;  // ciphertext of frame 2
  auto d = receiver(key_of('a'), fixed_random(9));
  const Outcome o = run(d, bad);
  EXPECT_EQ(o.records.size(), 1U);
  EXPECT_EQ(o.error, ProtocolError::kAeadAuthFailed);
}

TEST(AeadFrame, ReplayedFrameIsRefused) {
  const auto c = converse(some_records(), key_of('a'), fixed_random(9));
  const std::string frame2 =
      c.client_stream.substr(c.frame_ends[1], c.frame_ends[2] - c.frame_ends[1]);
  const std::string stream = c.client_stream.substr(0, c.frame_ends[2]) + frame2;
  auto d = receiver(key_of('a'), fixed_random(9));
  const Outcome o = run(d, stream);
  EXPECT_EQ(o.records.size(), 2U);
  EXPECT_EQ(o.error, ProtocolError::kAeadOutOfSequence);
}

TEST(AeadFrame, ReorderedFramesAreRefused) {
  const auto c = converse(some_records(), key_of('a'), fixed_random(9));
  const auto piece = [&](std::size_t k) {
    return c.client_stream.substr(c.frame_ends[k - 1], c.frame_ends[k] - c.frame_ends[k - 1]);
  };
  // Hello, the first record, then the third before the second.
  const std::string stream = c.client_stream.substr(0, c.frame_ends[1]) + piece(3) + piece(2);
  auto d = receiver(key_of('a'), fixed_random(9));
  const Outcome o = run(d, stream);
  EXPECT_EQ(o.records.size(), 1U);
  EXPECT_EQ(o.error, ProtocolError::kAeadOutOfSequence);
}

TEST(AeadFrame, MissingFrameIsRefused) {
  const auto c = converse(some_records(), key_of('a'), fixed_random(9));
  const std::string stream =
      c.client_stream.substr(0, c.frame_ends[2]) + c.client_stream.substr(c.frame_ends[3]);
  auto d = receiver(key_of('a'), fixed_random(9));
  const Outcome o = run(d, stream);
  EXPECT_EQ(o.records.size(), 2U);
  EXPECT_EQ(o.error, ProtocolError::kAeadOutOfSequence);
}

TEST(AeadFrame, RecordedConnectionReplayedToANewConnectionIsRefused) {
  // The attacker replays a whole captured connection; smbtad's new hello random gives new keys.
  const auto c = converse(some_records(), key_of('a'), fixed_random(9));
  auto d = receiver(key_of('a'), fixed_random(10));
  const Outcome o = run(d, c.client_stream);
  EXPECT_TRUE(o.records.empty());
  EXPECT_EQ(o.error, ProtocolError::kAeadAuthFailed);
}

TEST(AeadFrame, WrongKeyFailsAuthentication) {
  const auto c = converse(some_records(), key_of('b'), fixed_random(9));
  auto d = receiver(key_of('a'), fixed_random(9));
  const Outcome o = run(d, c.client_stream);
  EXPECT_TRUE(o.records.empty());
  EXPECT_EQ(o.error, ProtocolError::kAeadAuthFailed);
}

TEST(AeadFrame, TruncatedAtEveryByteOffset) {
  const auto records = some_records();
  const auto c = converse(records, key_of('a'), fixed_random(9));
  for (std::size_t cut = 0; cut <= c.client_stream.size(); ++cut) {
    auto d = receiver(key_of('a'), fixed_random(9));
    const Outcome o = run(d, std::string_view(c.client_stream).substr(0, cut));
    std::size_t complete = 0;
    bool on_boundary = cut == 0;
    for (std::size_t k = 0; k < c.frame_ends.size(); ++k) {
      if (c.frame_ends[k] <= cut) complete = k;
      if (c.frame_ends[k] == cut) on_boundary = true;
    }
    ASSERT_EQ(o.records.size(), complete) << "cut at " << cut;
    for (std::size_t k = 0; k < complete; ++k) EXPECT_EQ(o.records[k], records[k]);
    if (on_boundary) {
      EXPECT_EQ(o.last, Status::kNeedMore) << "cut at " << cut;
    } else {
      EXPECT_EQ(o.last, Status::kFatal) << "cut at " << cut;
      EXPECT_EQ(o.error, ProtocolError::kTruncatedStream) << "cut at " << cut;
    }
  }
}

TEST(AeadFrame, ShortenedFrameWithConsistentLengthFailsAuthentication) {
  // A frame cut short and given a matching length field: the header is authenticated data.
  const auto c = converse(some_records(), key_of('a'), fixed_random(9));
  const std::size_t start = c.frame_ends[0];
  const std::size_t len = c.frame_ends[1] - start - kHeaderSize;
  std::string cut;
  append_header(cut, len - 5, kAeadSealedFlag);
  cut += c.client_stream.substr(start + kHeaderSize, len - 5);
  auto d = receiver(key_of('a'), fixed_random(9));
  const Outcome o = run(d, c.client_stream.substr(0, start) + cut);
  EXPECT_TRUE(o.records.empty());
  EXPECT_EQ(o.error, ProtocolError::kAeadAuthFailed);
}

TEST(AeadFrame, LegacyFrameAfterHelloIsADowngrade) {
  const auto c = converse(some_records(), key_of('a'), fixed_random(9));
  auto d = receiver(key_of('a'), fixed_random(9));
  const Outcome o =
      run(d, c.client_stream.substr(0, c.frame_ends[1]) + encode_frame(some_records()[0]));
  EXPECT_EQ(o.records.size(), 1U);
  EXPECT_EQ(o.error, ProtocolError::kAeadDowngrade);
}

TEST(AeadFrame, RequiredRefusesLegacyFramesAndAcceptsThemOtherwise) {
  const std::string plain = encode_frame(some_records()[0]);
  auto strict = receiver(key_of('a'), fixed_random(9), true);
  EXPECT_EQ(run(strict, plain).error, ProtocolError::kAeadRequired);
  LegacyCipher cipher(key_of('a'));
  auto strict2 = receiver(key_of('a'), fixed_random(9), true);
  EXPECT_EQ(run(strict2, encode_frame(some_records()[0], &cipher)).error,
            ProtocolError::kAeadRequired);
  auto lenient = receiver(key_of('a'), fixed_random(9), false);
  EXPECT_EQ(run(lenient, plain).records.size(), 1U);
}

TEST(AeadFrame, HelloWithoutKeyOrTwiceIsRefused) {
  std::string hello;
  append_aead_hello(hello, fixed_random(1));
  StreamDecoder no_key;
  EXPECT_EQ(run(no_key, hello).error, ProtocolError::kAeadHelloWithoutKey);
  auto twice = receiver(key_of('a'), fixed_random(9));
  EXPECT_EQ(run(twice, hello + hello).error, ProtocolError::kAeadUnexpectedHello);
  std::string bad_hello;
  append_header(bad_hello, 5, kAeadHelloFlag);
  bad_hello += "1abcd";
  auto bad = receiver(key_of('a'), fixed_random(9));
  EXPECT_EQ(run(bad, bad_hello).error, ProtocolError::kAeadBadHello);
}

TEST(AeadFrame, SealedFrameWithoutHelloIsRefused) {
  const auto c = converse(some_records(), key_of('a'), fixed_random(9));
  auto d = receiver(key_of('a'), fixed_random(9));
  EXPECT_EQ(run(d, c.client_stream.substr(c.frame_ends[0])).error,
            ProtocolError::kAeadWithoutHello);
}

TEST(AeadFrame, ClientSideOpensRepliesAndRefusesLegacyReplies) {
  // A client that sent a hello accepts only the server's hello and sealed replies.
  const AesKey key = key_of('a');
  StreamDecoder server = receiver(key, fixed_random(4));
  std::string client_hello;
  append_aead_hello(client_hello, fixed_random(5));
  server.feed(client_hello);
  std::string_view body;
  ASSERT_EQ(server.next_body(body), Status::kNeedMore);
  std::string to_client = server.take_reply();
  server.sealer()->seal("0010reply", to_client);
  StreamDecoder client({}, key);
  client.expect_server_hello(fixed_random(5));
  client.feed(to_client);
  ASSERT_EQ(client.next_body(body), Status::kRecord) << describe(client.error());
  EXPECT_EQ(body, "0010reply");
  StreamDecoder legacy_reply({}, key);
  legacy_reply.expect_server_hello(fixed_random(5));
  legacy_reply.feed(frame_body("0010reply"));
  EXPECT_EQ(legacy_reply.next_body(body), Status::kFatal);
  EXPECT_EQ(legacy_reply.error(), ProtocolError::kAeadRequired);
}

}  // namespace
}  // namespace smbta
