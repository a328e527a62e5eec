// SPDX-License-Identifier: GPL-3.0-or-later
// Merges read/write records of one user, share and file within --precision second buckets.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "smbta/record.h"
#include "store/event_store.h"

namespace smbtad {

// Why: at precision P > 0 the original merged R/W records to keep the database small, but lost
// 55-76 % of them in its tree walk and merged names that were mere prefixes of each other. This
// cache keys on the exact (op kind, user, SID, domain, share, file, bucket) and keeps exact byte
// sums. Rows must be visible within 2 s whatever P is: a bucket's row is written once its first
// record is kWriteDelay old (at the next flush), and what arrives later is added to it
// (Row::accumulate) at most once per kWriteDelay. Writing every bucket at the next flush instead
// (every 0.5 s) made most merged records cost an UPDATE of the row and its rollup, more than
// the rows aggregation saves. Entries are forgotten once their bucket is over (or, oldest first,
// when the cache is full); what is remembered of them is a 64-bit key hash and the row's
// timestamp, so that a straggler grows the same row instead of starting a second one. Runs on
// the network thread only.
class AggregationCache {
 public:
  using Clock = std::chrono::steady_clock;
  // How long a bucket's records wait in memory before they are written (first row or growth).
  static constexpr std::chrono::milliseconds kWriteDelay{1000};

  AggregationCache(int precision_s, std::size_t max_entries);

  void add(const smbta::Record& r, Clock::time_point now);
  // Appends every row due to the store to `out`; with `final` writes and forgets all entries.
  void flush(std::vector<smbta::store::Row>& out, Clock::time_point now, bool final = false);

  std::size_t entries() const { return map_.size(); }
  // Rows ready for the store: the network thread hands them over early when many wait.
  std::size_t ready_rows() const { return plain_.size(); }
  // Ready rows and the entries holding records not yet written.
  std::size_t pending_rows() const { return plain_.size() + dirty_; }
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
    mutable Clock::time_point due;  // pending records are written at the first flush after it
    std::size_t hash = 0;
    KeyView key() const {
      return {kind, bucket, first.user, first.sid, first.domain, first.share, first.path, hash};
    }
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const KeyView& k) const { return k.hash; }
    static std::size_t compute(const KeyView& k);
    std::size_t operator()(const Entry& e) const { return e.hash; }
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const { return a.key() == b.key(); }
    bool operator()(const KeyView& a, const Entry& b) const { return a == b.key(); }
    bool operator()(const Entry& a, const KeyView& b) const { return a.key() == b; }
  };

  smbta::store::Row take_row(const Entry& e, bool last);
  // Writes what the oldest entry holds and forgets it.
  void forget_oldest(Clock::time_point now, bool remember_it);

  int precision_s_;
  std::size_t max_entries_;
  std::unordered_set<Entry, Hash, Eq> map_;
  std::vector<smbta::store::Row> plain_;  // rows ready for the store
  std::size_t dirty_ = 0;                 // entries with records not yet written
  // All entries, oldest first: entries are only ever forgotten from the front (their bucket
  // ends, or the cache is full), so these pointers never dangle. Element pointers of an
  // unordered_set stay valid until the element is erased.
  std::deque<const Entry*> by_age_;
  // Forgotten entries, direct-mapped by key hash: the timestamp of the row they wrote, and
  // until when a straggler is still expected. A slot taken by another key forgets the older
  // one: its straggler then gets a row of its own (byte sums stay exact either way). A fixed
  // array instead of a hash map: one of these is remembered for nearly every R/W record when
  // every record is another file, and a node allocated and freed each time was measurable.
  struct Forgotten {
    std::size_t hash = 0;
    std::int64_t row_ts = 0;
    Clock::time_point until{};
  };
  static constexpr std::size_t kForgottenSlots = 1 << 16;
  std::vector<Forgotten> forgotten_;
  Clock::time_point next_walk_{};
};

}  // namespace smbtad
