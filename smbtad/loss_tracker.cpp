// SPDX-License-Identifier: GPL-3.0-or-later
#include "loss_tracker.h"

#include <algorithm>

namespace smbtad {

using smbta::store::SenderLoss;

void LossTracker::load(std::vector<SenderLoss> senders) {
  for (auto& s : senders) {
    std::string key = s.key();
    Entry& e = senders_[std::move(key)];
    e.s = std::move(s);
  }
  complete_ = true;
  while (senders_.size() > max_senders_) evict_oldest();
}

const SenderLoss* LossTracker::find(std::string_view server, std::string_view sender) const {
  auto it = senders_.find(std::string(server) + "|" + std::string(sender));
  return it == senders_.end() ? nullptr : &it->second.s;
}

SenderLoss& LossTracker::entry(std::string_view peer, const smbta::Record& r, std::int64_t now_ms) {
  // The sender names its host first ("host:pid:random"); without one the peer is all we know.
  const std::string_view sender = r.sequence != 0 ? std::string_view(r.sender) : "";
  const std::string_view server =
      r.sequence != 0 ? sender.substr(0, sender.find(':')) : std::string_view(peer);
  Entry* e = last_;
  if (e == nullptr || e->s.sender != sender || e->s.server != server) {
    std::string key;
    key.reserve(server.size() + sender.size() + 1);
    key.append(server).append("|").append(sender);
    auto it = senders_.find(key);
    if (it == senders_.end()) {
      if (senders_.size() >= max_senders_) evict_oldest();
      Entry fresh;
      fresh.s.server = server;
      fresh.s.sender = sender;
      if (!complete_) fresh.s.incarnation = next_incarnation();
      it = senders_.emplace(std::move(key), std::move(fresh)).first;
    }
    e = last_ = &it->second;
  }
  if (e->s.peer != peer) e->s.peer = peer;
  e->s.last_seen_ms = now_ms;
  if (!e->changed) {
    e->changed = true;
    changed_.push_back(e);
  }
  return e->s;
}

LossTracker::Seen LossTracker::take_number(SenderLoss& s, std::uint64_t seq) {
  if (s.highest == 0 && s.incarnation != 0) {
    // Blank, perhaps not new: what came before this number is the table's to know (a gap
    // [1, seq - 1] here would be reported missing). Earlier numbers count as arrived before.
    s.floor = seq - 1;
    s.highest = seq;
    return Seen::kNew;
  }
  if (seq > s.highest) {
    if (seq > s.highest + 1) s.gaps.emplace_back(s.highest + 1, seq - 1);
    s.highest = seq;
    if (s.gaps.size() > kMaxGaps) {
      // The oldest range is given up: its numbers count as missing for good, and one that
      // still arrives is taken for a duplicate (never stored twice beats stored late).
      s.given_up += s.gaps.front().second - s.gaps.front().first + 1;
      s.floor = s.gaps.front().second;
      s.gaps.erase(s.gaps.begin());
    }
    return Seen::kNew;
  }
  if (seq <= s.floor) return Seen::kDuplicate;
  // A late number fills (part of) a gap.
  auto it = std::lower_bound(s.gaps.begin(), s.gaps.end(), seq,
                             [](const auto& g, std::uint64_t v) { return g.second < v; });
  if (it == s.gaps.end() || it->first > seq) return Seen::kDuplicate;
  if (it->first == seq && it->second == seq) {
    s.gaps.erase(it);
  } else if (it->first == seq) {
    ++it->first;
  } else if (it->second == seq) {
    --it->second;
  } else {
    const auto end = it->second;
    it->second = seq - 1;
    s.gaps.insert(it + 1, {seq + 1, end});
  }
  return Seen::kNew;
}

bool LossTracker::admit(std::string_view peer, const smbta::Record& r, std::int64_t now_ms) {
  SenderLoss& s = entry(peer, r, now_ms);
  ++s.received;
  if (r.sequence != 0 && take_number(s, r.sequence) == Seen::kDuplicate) {
    ++s.duplicates;
    return false;
  }
  ++s.stored;
  if (r.replayed) ++s.replayed;
  return true;
}

bool LossTracker::note_drops(std::string_view peer, const smbta::Record& notice,
                             std::int64_t now_ms) {
  SenderLoss& s = entry(peer, notice, now_ms);
  // A notice sent twice reports the same drops: counted once.
  if (notice.sequence != 0 && take_number(s, notice.sequence) == Seen::kDuplicate) return false;
  s.dropped += notice.result;
  return true;
}

std::vector<SenderLoss> LossTracker::take_changed() {
  std::vector<SenderLoss> out;
  out.reserve(changed_.size());
  for (Entry* e : changed_) {
    out.push_back(e->s);
    e->changed = false;
  }
  changed_.clear();
  return out;
}

void LossTracker::evict_oldest() {
  // Rare (max_senders_ smbd processes seen since the last eviction): a scan is fine. A sender
  // with changes not yet handed to the writer stays.
  auto oldest = senders_.end();
  for (auto it = senders_.begin(); it != senders_.end(); ++it)
    if (!it->second.changed &&
        (oldest == senders_.end() || it->second.s.last_seen_ms < oldest->second.s.last_seen_ms))
      oldest = it;
  if (oldest != senders_.end()) {
    if (&oldest->second == last_) last_ = nullptr;
    senders_.erase(oldest);
    complete_ = false;
  }
}

}  // namespace smbtad
