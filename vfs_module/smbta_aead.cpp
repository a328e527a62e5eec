// SPDX-License-Identifier: GPL-3.0-or-later
// The module's side of the authenticated transport (see smbta_aead.h).
#include "smbta_aead.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "smbta/aead_frame.h"
#include "smbta/stream_decoder.h"
#include "smbta/v2_codec.h"

namespace
{

// Sealing stops once this much is waiting to be sent: the rest stays in the sink's bounded
// queue, so the link never holds more than one batch beyond it.
constexpr std::size_t kBatchBytes = 64 * 1024;

std::size_t plain_frame_size(const char *p, std::size_t n)
{
	if (n < smbta::kHeaderSize)
		return 0;
	std::size_t len = 0;
	for (std::size_t i = 9; i < smbta::kHeaderSize; ++i)
		len = len * 10 + static_cast<std::size_t>(p[i] - '0');
	return smbta::kHeaderSize + len <= n ? smbta::kHeaderSize + len : 0;
}

} // namespace

// Why: the C-visible handle; everything that can throw stays behind it.
struct smbta_aead_link {
	smbta::AesKey psk{};
	std::optional<smbta::StreamDecoder> handshake; // this connection's, until smbtad's hello
	smbta::AeadSealer *sealer = nullptr;           // owned by `handshake`
	std::string wire;                              // bytes [sent, size) are unsent
	std::size_t sent = 0;
	std::deque<std::size_t> frame_ends; // offsets in `wire` where sealed frames end
};

extern "C" {

struct smbta_aead_link *smbta_aead_link_new(const unsigned char key[16])
{
	try {
		auto l = std::make_unique<smbta_aead_link>();
		std::memcpy(l->psk.data(), key, l->psk.size());
		return l.release();
	} catch (const std::exception &) {
		return nullptr;
	}
}

void smbta_aead_link_free(struct smbta_aead_link *l)
{
	if (l == nullptr)
		return;
	l->psk.fill(0);
	std::unique_ptr<smbta_aead_link> owned(l);
}

int smbta_aead_link_start(struct smbta_aead_link *l)
{
	try {
		l->sealer = nullptr;
		l->wire.clear();
		l->sent = 0;
		l->frame_ends.clear();
		const smbta::AeadRandom mine = smbta::make_aead_random();
		l->handshake.emplace(smbta::DecoderLimits{}, l->psk);
		l->handshake->expect_server_hello(mine);
		smbta::append_aead_hello(l->wire, mine);
		return 0;
	} catch (const std::exception &) {
		l->handshake.reset();
		return -1;
	}
}

long smbta_aead_link_receive(struct smbta_aead_link *l, const char *data, size_t n, char *err,
			     size_t errlen)
{
	if (l->sealer != nullptr || n == 0)
		return 0;
	if (!l->handshake) {
		std::snprintf(err, errlen, "data from smbtad before the connection started");
		return -1;
	}
	try {
		// Feed only up to the end of the hello: what follows is not the handshake's.
		const std::size_t want = smbta::kHeaderSize + smbta::kAeadHelloBody;
		const std::size_t have = l->handshake->buffered();
		const std::size_t take = std::min(n, want > have ? want - have : 0);
		l->handshake->feed(std::string_view(data, take));
		std::string_view body;
		const auto st = l->handshake->next_body(body);
		if (st == smbta::StreamDecoder::Status::kFatal ||
		    st == smbta::StreamDecoder::Status::kRecord) {
			std::snprintf(err, errlen, "%s",
				      st == smbta::StreamDecoder::Status::kRecord
					      ? "smbtad answered the hello with something else"
					      : std::string(smbta::describe(l->handshake->error()))
							.c_str());
			return -1;
		}
		l->sealer = l->handshake->sealer();
		return static_cast<long>(take);
	} catch (const std::exception &e) {
		std::snprintf(err, errlen, "authenticated transport: %s", e.what());
		return -1;
	}
}

bool smbta_aead_link_ready(const struct smbta_aead_link *l)
{
	return l->sealer != nullptr;
}

size_t smbta_aead_link_seal(struct smbta_aead_link *l, const char *data, size_t n, uint64_t *frames)
{
	*frames = 0;
	if (l->sealer == nullptr)
		return 0;
	if (l->sent > 0) {
		// Drop what was sent, so the buffer stays within a batch and a frame.
		l->wire.erase(0, l->sent);
		for (auto &end : l->frame_ends)
			end -= l->sent;
		l->sent = 0;
	}
	std::size_t used = 0;
	try {
		while (l->wire.size() - l->sent < kBatchBytes) {
			const std::size_t f = plain_frame_size(data + used, n - used);
			if (f == 0)
				break;
			l->sealer->seal(std::string_view(data + used + smbta::kHeaderSize,
							 f - smbta::kHeaderSize),
					l->wire);
			l->frame_ends.push_back(l->wire.size());
			used += f;
			++*frames;
		}
	} catch (const std::exception &) {
		// Nothing half-sealed is left in `wire` (seal appends all or nothing): what was taken so
		// far goes out; the frame that failed stays queued in the sink.
	}
	return used;
}

const char *smbta_aead_link_pending(const struct smbta_aead_link *l, size_t *n)
{
	*n = l->wire.size() - l->sent;
	return l->wire.data() + l->sent;
}

void smbta_aead_link_sent(struct smbta_aead_link *l, size_t n)
{
	l->sent += n;
	while (!l->frame_ends.empty() && l->frame_ends.front() <= l->sent)
		l->frame_ends.pop_front();
	if (l->sent == l->wire.size()) {
		l->wire.clear();
		l->sent = 0;
		l->frame_ends.clear();
	}
}

uint64_t smbta_aead_link_unsent_frames(const struct smbta_aead_link *l)
{
	return l->frame_ends.size();
}

} // extern "C"
