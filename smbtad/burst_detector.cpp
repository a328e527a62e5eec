// SPDX-License-Identifier: GPL-3.0-or-later
#include "burst_detector.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "smbta/log.h"

namespace smbtad {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
// Users idle this long (steady clock) are forgotten, baseline and all.
constexpr std::int64_t kForgetMs = 24LL * 3600 * 1000;
// A record this many buckets (10 minutes) older than a meter's newest is no late record but a
// clock that jumped (or a record from the future before it)...
constexpr std::int64_t kMaxLateBuckets = 60;
// ...once this many such records came in a row with none in between that could be counted:
// one old record among live ones (another module's clock) does not wipe the live count.
constexpr std::uint32_t kJumpRecords = 64;

// Record times before 1970 are negative (the V2 decoder takes years from 0000): the bucket and
// minute of a time round down, and a bucket's slot is never negative.
std::int64_t floor_div(std::int64_t v, std::int64_t d) {
  const std::int64_t q = v / d;
  return (v % d != 0 && v < 0) ? q - 1 : q;
}

// A fast 64-bit hash, eight bytes at a time (the names and paths of one record are short).
std::uint64_t fast_hash(std::string_view s, std::uint64_t h = 0x9e3779b97f4a7c15ULL) {
  constexpr std::uint64_t kMul = 0xff51afd7ed558ccdULL;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  std::uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail ^ (static_cast<std::uint64_t>(s.size()) << 56)) * kMul;
  return h ^ (h >> 29);
}

}  // namespace

std::string_view burst_kind_name(BurstKind k) {
  return k == BurstKind::kDestructive ? "ransomware" : "exfiltration";
}

BurstDetector::BurstDetector(BurstConfig config) : config_(config) {
  // alpha = 1 / time constant: the weight of the newest minute.
  keep_ = 1.0 - 1.0 / std::max(1, config_.baseline_minutes);
}

std::size_t BurstDetector::WhoHash::operator()(const WhoView& w) const {
  return static_cast<std::size_t>(fast_hash(w.share, fast_hash(w.domain, fast_hash(w.user))));
}

BurstDetector::Key* BurstDetector::find(const smbta::Record& r, std::int64_t steady_ms) {
  const WhoView who{r.user, r.domain, r.share};
  if (last_ != nullptr && WhoEq::eq(who, {last_->who->user, last_->who->domain, last_->who->share}))
    return last_;
  auto it = keys_.find(who);
  if (it == keys_.end()) {
    if (keys_.size() >= config_.max_keys) {
      if (unwatched_++ == 0)
        smbta::log::warning(
            "burst detection watches its maximum of {} users and shares; further ones are not "
            "watched until idle ones are forgotten",
            config_.max_keys);
      return nullptr;
    }
    it = keys_.emplace(Who{r.user, r.domain, r.share}, Key{}).first;
    it->second.who = &it->first;
    it->second.last_steady = steady_ms;
  }
  last_ = &it->second;
  return last_;
}

void BurstDetector::on_record(const smbta::Record& r, std::int64_t steady_ms,
                              std::vector<BurstEvent>& out) {
  if (!config_.enabled) return;
  // A module's spool replayed: what a user did while smbtad could not see it, arriving all at
  // once. It is stored, but metering it would measure the replay, not the user.
  if (r.replayed) return;
  bool destructive = false;
  bool read = false;
  switch (r.op) {
    case smbta::Op::kRename:
    case smbta::Op::kUnlink:
    case smbta::Op::kTruncate:
      destructive = true;
      break;
    case smbta::Op::kWrite:
    case smbta::Op::kPwrite:
    case smbta::Op::kRead:
    case smbta::Op::kPread:
      read = smbta::is_read(r.op);
      break;
    default:
      return;
  }
  Key* k = find(r, steady_ms);
  if (k == nullptr) return;
  k->last_steady = steady_ms;
  if (!destructive) {
    // Only a change of file counts: one big copy is many records of one file.
    std::uint64_t& last = read ? k->last_read : k->last_written;
    const std::uint64_t file = fast_hash(r.path);
    if (last == file) return;
    last = file;
    destructive = !read;
  }
  count(*k, destructive ? BurstKind::kDestructive : BurstKind::kMassRead, r, steady_ms, out);
}

void BurstDetector::count(Key& k, BurstKind kind, const smbta::Record& r, std::int64_t steady_ms,
                          std::vector<BurstEvent>& out) {
  Meter& m = k.meters[static_cast<int>(kind)];
  const std::int64_t t = r.timestamp_ms;
  const std::int64_t tb = floor_div(t, kBucketMs);
  if (m.bucket != kNever && tb <= m.bucket - kBuckets) {
    // Older than the meter's window: counting it in the newest bucket would let a module's
    // queue sent after a reconnect (minutes of records at once) look like one busy minute.
    if (tb >= m.bucket - kMaxLateBuckets || ++m.behind < kJumpRecords) return;
    // Far behind, record after record: the clock jumped (or one record came from the future).
    // Start over from here rather than count nothing for ever.
    m.bucket = kNever;
    m.minute = kNever;
    m.minute_count = 0;
    if (m.active) m.hot_ms = t;
  }
  m.behind = 0;
  if (tb > m.bucket) {
    if (m.bucket == kNever || tb - m.bucket >= kBuckets) {
      m.buckets.fill(0);
      m.window = 0;
    } else {
      for (std::int64_t i = m.bucket + 1; i <= tb; ++i) {
        auto& slot = m.buckets[slot_of(i)];
        m.window -= slot;
        slot = 0;
      }
    }
    m.bucket = tb;
  }
  // A record a little late (within the window) counts in its own bucket.
  ++m.buckets[slot_of(tb)];
  ++m.window;

  const std::int64_t minute = std::max(floor_div(t, kMinuteMs), m.minute);
  if (minute != m.minute) {
    // An episode does not teach the baseline that bursts are normal.
    if (m.minute != kNever && !m.active) {
      m.baseline = keep_ * m.baseline + (1.0 - keep_) * m.minute_count;
      if (minute - m.minute > 1)
        m.baseline *= std::pow(keep_, static_cast<double>(minute - m.minute - 1));
    }
    m.minute = minute;
    m.minute_count = 0;
  }
  ++m.minute_count;

  const std::uint32_t limit = threshold(kind);
  if (m.active) {
    if (t - m.hot_ms >= static_cast<std::int64_t>(config_.quiet_seconds) * 1000) {
      end(k, kind, out);
    } else {
      ++m.events;
      if (m.window * 2 >= limit) {
        m.hot_ms = std::max(m.hot_ms, t);
        m.hot_steady = steady_ms;
      }
      return;
    }
  }
  if (m.window < limit || m.window < config_.baseline_factor * m.baseline) return;
  m.active = true;
  m.started_ms = t;
  m.events = m.window;
  m.hot_ms = t;
  m.hot_steady = steady_ms;
  BurstEvent e;
  e.start = true;
  e.kind = kind;
  e.user = k.who->user;
  e.domain = k.who->domain;
  e.share = k.who->share;
  e.started_ms = t;
  e.events = m.window;
  e.rate = m.window;
  e.threshold = limit;
  e.baseline = m.baseline;
  e.sample = r.path;
  out.push_back(std::move(e));
}

void BurstDetector::end(Key& k, BurstKind kind, std::vector<BurstEvent>& out) {
  Meter& m = k.meters[static_cast<int>(kind)];
  m.active = false;
  BurstEvent e;
  e.start = false;
  e.kind = kind;
  e.user = k.who->user;
  e.domain = k.who->domain;
  e.share = k.who->share;
  e.started_ms = m.started_ms;
  e.ended_ms = m.hot_ms;
  e.events = m.events;
  e.threshold = threshold(kind);
  e.baseline = m.baseline;
  out.push_back(std::move(e));
}

void BurstDetector::on_tick(std::int64_t steady_ms, std::vector<BurstEvent>& out) {
  if (!config_.enabled) return;
  const std::int64_t quiet = static_cast<std::int64_t>(config_.quiet_seconds) * 1000;
  for (auto& [name, k] : keys_)
    for (int i = 0; i < 2; ++i)
      if (k.meters[i].active && steady_ms - k.meters[i].hot_steady >= quiet)
        end(k, static_cast<BurstKind>(i), out);
  if (steady_ms < next_sweep_) return;
  next_sweep_ = steady_ms + kMinuteMs;
  const auto before = keys_.size();
  std::erase_if(keys_, [&](const auto& entry) {
    const Key& k = entry.second;
    return !k.meters[0].active && !k.meters[1].active && steady_ms - k.last_steady >= kForgetMs;
  });
  if (keys_.size() != before) last_ = nullptr;
}

void BurstDetector::finish(std::vector<BurstEvent>& out) {
  for (auto& [name, k] : keys_)
    for (int i = 0; i < 2; ++i)
      if (k.meters[i].active) end(k, static_cast<BurstKind>(i), out);
}

}  // namespace smbtad
