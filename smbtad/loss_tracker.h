// SPDX-License-Identifier: GPL-3.0-or-later
// Per sending module process: which sequence numbers arrived, duplicates, gaps, drops.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smbta/record.h"
#include "store/loss_ledger.h"

namespace smbtad {

// Why: a record that is never stored must show somewhere, and one sent twice (a module's
// spool replayed, a resend after a reconnect) must be stored once. Each smbta module process
// numbers its records (common block 9); this ledger, on the network thread, admits each number
// once and keeps the numbers not seen yet. Its state reaches the database (smbta_loss) through
// the writer after the rows it admitted are kept, and is loaded back at start, so duplicates
// are recognised across a restart too. Bounded: at most kMaxGaps open ranges per sender and
// max_senders senders in memory (the least recently seen go first; the table keeps them).
class LossTracker {
 public:
  static constexpr std::size_t kMaxGaps = 1024;

  explicit LossTracker(std::size_t max_senders = 20000) : max_senders_(max_senders) {}

  // The ledger as stored (smbtad start). Until it is loaded (the database was unreachable at
  // start), and after a sender was evicted, a sender not in memory may have a row in the table:
  // its state then starts at the first number seen, with no gap before it, and is added to the
  // row when saved (SenderLoss::incarnation) instead of replacing it with smaller counters.
  void load(std::vector<smbta::store::SenderLoss> senders);
  // False when `r` is a duplicate and must not be stored. Records without a sequence number
  // (1.2.x modules, or smbta modules before sequence numbers) are counted per peer.
  bool admit(std::string_view peer, const smbta::Record& r, std::int64_t now_ms);
  // A drop notice: the records its sender reports it could not keep. False when the notice
  // arrived before (its number was seen): its drops are counted already, nowhere again.
  bool note_drops(std::string_view peer, const smbta::Record& notice, std::int64_t now_ms);
  // Copies of the senders changed since the previous call (for the writer).
  std::vector<smbta::store::SenderLoss> take_changed();

  std::size_t senders() const { return senders_.size(); }
  const smbta::store::SenderLoss* find(std::string_view server, std::string_view sender) const;

 private:
  enum class Seen { kNew, kDuplicate };
  struct Entry {
    smbta::store::SenderLoss s;
    bool changed = false;  // in changed_
  };
  smbta::store::SenderLoss& entry(std::string_view peer, const smbta::Record& r,
                                  std::int64_t now_ms);
  static Seen take_number(smbta::store::SenderLoss& s, std::uint64_t seq);
  std::uint64_t next_incarnation() { return ++incarnations_; }
  void evict_oldest();

  std::size_t max_senders_;
  std::unordered_map<std::string, Entry> senders_;
  // Senders changed since take_changed. Why pointers and a flag, not a set of keys: a record
  // costs no second hash lookup and no key copy. Element pointers of the map stay valid: a
  // changed sender is never evicted.
  std::vector<Entry*> changed_;
  // The previous record's sender: a connection carries one sender, and its records come in
  // runs, so most records find it without building a key or hashing.
  Entry* last_ = nullptr;
  bool complete_ = false;  // every sender with a row in the table is in memory
  std::uint64_t incarnations_ = 0;
};

}  // namespace smbtad
