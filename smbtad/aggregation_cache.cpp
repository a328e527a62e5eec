// SPDX-License-Identifier: GPL-3.0-or-later
#include "aggregation_cache.h"

#include <algorithm>
#include <functional>
#include <string_view>

namespace smbtad {

using smbta::Record;
using smbta::store::Row;

std::size_t AggregationCache::Hash::compute(const KeyView& k) {
  std::hash<std::string_view> h;
  std::size_t v = std::hash<std::int64_t>()(k.bucket * 4 + k.kind);
  for (std::string_view s : {k.user, k.sid, k.domain, k.share, k.path}) v = v * 1000003u ^ h(s);
  return v;
}

AggregationCache::AggregationCache(int precision_s, std::size_t max_entries)
    : precision_s_(precision_s),
      max_entries_(std::max<std::size_t>(max_entries, 1)),
      forgotten_(precision_s > 0 ? kForgottenSlots : 0) {}

void AggregationCache::add(const Record& r, Clock::time_point now) {
  if (precision_s_ == 0 || !smbta::is_read_write(r.op)) {
    plain_.push_back(Row{r});
    return;
  }
  const std::int64_t width = static_cast<std::int64_t>(precision_s_) * 1000;
  std::int64_t bucket = r.timestamp_ms / width;
  if (r.timestamp_ms < 0 && r.timestamp_ms % width != 0) --bucket;
  // A failed call reports -1 as 4294967295: it moved no bytes.
  const std::uint64_t bytes = r.length == smbta::kFailedResult ? 0 : r.length;
  const auto kind = static_cast<std::uint8_t>(smbta::is_read(r.op) ? 0 : 2);
  KeyView key{kind, bucket, r.user, r.sid, r.domain, r.share, r.path};
  key.hash = Hash::compute(key);
  auto it = map_.find(key);
  if (it == map_.end()) {
    // Full: the oldest entry is written (if it holds anything) and forgotten first, here
    // rather than at the next flush, so the bound holds between flushes too.
    if (map_.size() >= max_entries_) forget_oldest(now, true);
    Entry fresh;
    fresh.kind = kind;
    fresh.bucket = bucket;
    fresh.hash = key.hash;
    fresh.first = r;
    fresh.first.op = kind == 0 ? smbta::Op::kRead : smbta::Op::kWrite;
    if (Forgotten& f = forgotten_[key.hash % kForgottenSlots];
        f.hash == key.hash && now < f.until) {
      // Same key and bucket as an entry already written: grow its row.
      fresh.late = true;
      fresh.first.timestamp_ms = f.row_ts;
      f = Forgotten{};
    }
    // Keep the entry until its bucket is surely over on the sender's clock as seen from here:
    // P seconds from the first record plus 2 s for stragglers.
    fresh.expires = now + std::chrono::seconds(precision_s_) + std::chrono::seconds(2);
    fresh.due = now + kWriteDelay;
    it = map_.insert(std::move(fresh)).first;
    by_age_.push_back(&*it);
  }
  const Entry& e = *it;
  if (e.pending_records == 0) ++dirty_;
  e.pending_bytes += bytes;
  ++e.pending_records;
  if (r.latency_us) e.pending_latency_us = e.pending_latency_us.value_or(0) + *r.latency_us;
}

Row AggregationCache::take_row(const Entry& e, bool last) {
  const std::int64_t width = static_cast<std::int64_t>(precision_s_) * 1000;
  Row row;
  // The last write of an entry about to be forgotten may take its names.
  row.rec = last ? std::move(const_cast<Entry&>(e).first) : e.first;
  row.rec.length = e.pending_bytes;
  row.merged = e.pending_records;
  row.rec.latency_us = e.pending_latency_us;
  row.accumulate = e.written || e.late;
  row.bucket_start_ms = e.bucket * width;
  row.bucket_ms = width;
  e.written = true;
  e.pending_bytes = 0;
  e.pending_records = 0;
  --dirty_;
  e.pending_latency_us.reset();
  return row;
}

void AggregationCache::forget_oldest(Clock::time_point now, bool remember_it) {
  const Entry* e = by_age_.front();
  by_age_.pop_front();
  // Found while its names are intact; erased after they moved into the row (the set keeps
  // each element's hash code, so erasing by iterator does not look at the key again).
  auto it = map_.find(e->key());
  if (remember_it)
    forgotten_[e->hash % kForgottenSlots] = {e->hash, e->first.timestamp_ms,
                                             now + std::chrono::seconds(precision_s_ + 60)};
  if (e->pending_records > 0) plain_.push_back(take_row(*e, true));
  map_.erase(it);
}

void AggregationCache::flush(std::vector<Row>& out, Clock::time_point now, bool final) {
  // Buckets over, oldest first (with `final`, all).
  while (!by_age_.empty() && (final || now >= by_age_.front()->expires)) forget_oldest(now, !final);
  out.reserve(out.size() + plain_.size());
  for (auto& row : plain_) out.push_back(std::move(row));
  plain_.clear();
  // Entries become due kWriteDelay apart: a walk at most every quarter of it keeps the early
  // flushes (many rows ready) from visiting every entry each time.
  if (dirty_ > 0 && (final || now >= next_walk_)) {
    next_walk_ = now + kWriteDelay / 4;
    for (const Entry* e : by_age_) {
      if (e->pending_records == 0 || now < e->due) continue;
      out.push_back(take_row(*e, false));
      e->due = now + kWriteDelay;
    }
  }
  if (final) std::fill(forgotten_.begin(), forgotten_.end(), Forgotten{});
}

}  // namespace smbtad
