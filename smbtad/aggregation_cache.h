// SPDX-License-Identifier: GPL-3.0-or-later
// Merges read/write records of one user, share and file within --precision second buckets.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "smbta/record.h"
#include "store/event_store.h"

namespace smbtad {

// Why: at precision P > 0 the original merged R/W records to keep the database small, but lost
// 55-76 % of them in its tree walk and merged names that were mere prefixes of each other. This
// cache keys on the exact (op kind, user, SID, domain, share, file, bucket) and keeps exact byte
// sums. Rows must be visible within 2 s whatever P is, so each flush writes what arrived since
// the last one: the first write of a bucket inserts its row, later writes add to it (Row::
// accumulate). Entries are forgotten once their bucket is over (or when the cache is full);
// what is remembered of them is a 64-bit key hash and the row's timestamp, so that a straggler
// grows the same row instead of starting a second one. Runs on the network
// thread only.
class AggregationCache {
 public:
  using Clock = std::chrono::steady_clock;

  AggregationCache(int precision_s, std::size_t max_entries);

  void add(const smbta::Record& r, Clock::time_point now);
  // Appends every row due to the store to `out`; with `final` forgets all entries.
  void flush(std::vector<smbta::store::Row>& out, Clock::time_point now, bool final = false);

  std::size_t entries() const { return map_.size(); }
  std::size_t pending_rows() const { return plain_.size() + dirty_.size(); }
  int precision() const { return precision_s_; }

 private:
  // The identity of a bucket row; views into a record, so lookups of existing buckets copy
  // nothing.
  struct KeyView {
    std::uint8_t kind;  // 0 read, 2 write
    std::int64_t bucket;
    std::string_view user, sid, domain, share, path;
    // Computed once per record: an entry's hash is reused for its lookups at expiry and for
    // the forgotten-bucket memory instead of hashing five strings again.
    std::size_t hash = 0;
    bool operator==(const KeyView& o) const {
      return kind == o.kind && bucket == o.bucket && user == o.user && sid == o.sid &&
             domain == o.domain && share == o.share && path == o.path;
    }
  };
  struct Entry {
    std::uint8_t kind;
    std::int64_t bucket;
    smbta::Record first;  // the bucket's first record: its timestamp and names
    mutable std::uint64_t pending_bytes = 0;
    mutable std::uint32_t pending_records = 0;
    // Sum of the pending records' latencies; unset while none of them was timed.
    mutable std::optional<std::uint64_t> pending_latency_us;
    mutable bool written = false;  // a row for this bucket exists (or is queued) in the store
    bool late = false;             // its bucket's row was written by a forgotten entry
    Clock::time_point expires;
    std::size_t hash = 0;
    KeyView key() const {
      return {kind, bucket, first.user, first.sid, first.domain, first.share, first.path, hash};
    }
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const KeyView& k) const { return k.hash; }
    static std::size_t compute(const KeyView& k);
    std::size_t operator()(const Entry& e) const { return (*this)(e.key()); }
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const { return a.key() == b.key(); }
    bool operator()(const KeyView& a, const Entry& b) const { return a == b.key(); }
    bool operator()(const Entry& a, const KeyView& b) const { return a.key() == b; }
  };

  smbta::store::Row take_row(const Entry& e, bool last);
  void remember(const Entry& e, Clock::time_point now);

  int precision_s_;
  std::size_t max_entries_;
  std::unordered_set<Entry, Hash, Eq> map_;
  std::vector<smbta::store::Row> plain_;  // rows stored as they are
  // Entries with pending bytes, and all entries oldest first: a flush visits only what it must
  // write or forget, not the whole map. Element pointers of an unordered_set stay valid until
  // the element is erased.
  std::vector<const Entry*> dirty_;
  std::deque<const Entry*> by_age_;
  // Forgotten entries: key hash -> the timestamp of the row they wrote, and until when a
  // straggler is still expected. Bounded; when full it starts over, and a straggler of a
  // bucket no longer remembered gets a row of its own (byte sums stay exact either way).
  struct Forgotten {
    std::int64_t row_ts;
    Clock::time_point until;
  };
  static constexpr std::size_t kMaxForgotten = 50000;
  std::unordered_map<std::size_t, Forgotten> forgotten_;
  Clock::time_point next_prune_{};
};

}  // namespace smbtad
