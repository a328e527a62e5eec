// SPDX-License-Identifier: GPL-3.0-or-later
#include "aggregation_cache.h"

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
    : precision_s_(precision_s), max_entries_(max_entries) {}

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
    Entry fresh;
    fresh.kind = kind;
    fresh.bucket = bucket;
    fresh.hash = key.hash;
    fresh.first = r;
    fresh.first.op = kind == 0 ? smbta::Op::kRead : smbta::Op::kWrite;
    if (!forgotten_.empty()) {
      if (auto f = forgotten_.find(Hash()(key)); f != forgotten_.end()) {
        // Same key and bucket as an entry already written: grow its row.
        fresh.late = true;
        fresh.first.timestamp_ms = f->second.row_ts;
        forgotten_.erase(f);
      }
    }
    // Keep the entry until its bucket is surely over on the sender's clock as seen from here:
    // P seconds from the first record plus 2 s for stragglers.
    fresh.expires = now + std::chrono::seconds(precision_s_) + std::chrono::seconds(2);
    it = map_.insert(std::move(fresh)).first;
    by_age_.push_back(&*it);
  }
  const Entry& e = *it;
  if (e.pending_records == 0) dirty_.push_back(&e);
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
  e.pending_latency_us.reset();
  return row;
}

void AggregationCache::flush(std::vector<Row>& out, Clock::time_point now, bool final) {
  out.reserve(out.size() + plain_.size() + dirty_.size());
  for (auto& row : plain_) out.push_back(std::move(row));
  plain_.clear();
  // Forget entries oldest first: those whose bucket is over, and more while the cache is full.
  // Their iterators are found while their names are intact and erased after the dirty pass
  // (no insertion happens in between, so they stay valid).
  std::vector<decltype(map_)::iterator> gone;
  std::size_t remaining = map_.size();
  while (!by_age_.empty()) {
    const Entry* e = by_age_.front();
    if (!final && now < e->expires && remaining <= max_entries_) break;
    by_age_.pop_front();
    --remaining;
    auto it = map_.find(e->key());
    if (!final) remember(*e, now);
    if (e->pending_records > 0) out.push_back(take_row(*e, true));
    gone.push_back(it);
  }
  for (const Entry* e : dirty_)
    if (e->pending_records > 0) out.push_back(take_row(*e, false));
  dirty_.clear();
  for (auto it : gone) map_.erase(it);
  if (final) forgotten_.clear();
  if (now >= next_prune_) {
    std::erase_if(forgotten_, [&](const auto& kv) { return now >= kv.second.until; });
    next_prune_ = now + std::chrono::seconds(10);
  }
}

void AggregationCache::remember(const Entry& e, Clock::time_point now) {
  if (forgotten_.size() >= kMaxForgotten) forgotten_.clear();
  forgotten_[Hash()(e.key())] = {e.first.timestamp_ms,
                                 now + std::chrono::seconds(precision_s_ + 60)};
}

}  // namespace smbtad
