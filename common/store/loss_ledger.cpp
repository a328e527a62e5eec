// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/loss_ledger.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include "smbta/record.h"
#include "store/schema.h"
#include "store/sql_dialect.h"

namespace smbta::store {

std::uint64_t SenderLoss::open_gaps() const {
  std::uint64_t n = 0;
  for (const auto& [a, b] : gaps) n += b - a + 1;
  return n;
}

std::uint64_t SenderLoss::missing() const {
  const std::uint64_t unseen = open_gaps() + given_up;
  return unseen > dropped ? unseen - dropped : 0;
}

std::string format_gaps(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& gaps) {
  std::string out;
  for (const auto& [a, b] : gaps) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}-{}", a, b);
  }
  return out;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> parse_gaps(std::string_view text) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const auto dash = item.find('-');
    std::uint64_t a = 0, b = 0;
    if (dash == std::string_view::npos) return {};
    const auto ra = std::from_chars(item.data(), item.data() + dash, a);
    const auto rb = std::from_chars(item.data() + dash + 1, item.data() + item.size(), b);
    if (ra.ec != std::errc{} || ra.ptr != item.data() + dash || rb.ec != std::errc{} ||
        rb.ptr != item.data() + item.size() || a == 0 || b < a ||
        (!out.empty() && a <= out.back().second))
      return {};
    out.emplace_back(a, b);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

namespace {

using Gaps = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// The parts of `gaps` within [lo, hi], appended to `out`.
void clip_into(const Gaps& gaps, std::uint64_t lo, std::uint64_t hi, Gaps& out) {
  for (const auto& [a, b] : gaps)
    if (b >= lo && a <= hi) out.emplace_back(std::max(a, lo), std::min(b, hi));
}

}  // namespace

SenderLoss merged(const SenderLoss& stored, const SenderLoss& fresh) {
  SenderLoss m = fresh;
  m.received = stored.received + fresh.received;
  m.stored = stored.stored + fresh.stored;
  m.replayed = stored.replayed + fresh.replayed;
  m.duplicates = stored.duplicates + fresh.duplicates;
  m.dropped = stored.dropped + fresh.dropped;
  m.given_up = stored.given_up + fresh.given_up;
  m.highest = std::max(stored.highest, fresh.highest);
  m.floor = stored.floor;
  // Numbers up to fresh.floor (before its first): what the table knew; from there to
  // fresh.highest: what arrived since (its gaps); above it: the table's again.
  m.gaps.clear();
  if (fresh.floor > 0) clip_into(stored.gaps, 1, fresh.floor, m.gaps);
  m.gaps.insert(m.gaps.end(), fresh.gaps.begin(), fresh.gaps.end());
  if (fresh.highest < std::numeric_limits<std::uint64_t>::max())
    clip_into(stored.gaps, fresh.highest + 1, std::numeric_limits<std::uint64_t>::max(), m.gaps);
  return m;
}

namespace loss_ledger {
namespace {

std::int64_t as_bigint(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(
      v, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

// The width of MySQL's sender_key (characters): room for the longest key (see create_table).
constexpr std::int64_t kMysqlKeyChars = 320;

std::uint64_t column(const DbiResult& r, unsigned idx) {
  const auto v = r.get_int(idx).value_or(0);
  return v > 0 ? static_cast<std::uint64_t>(v) : 0;
}

}  // namespace

void create_table(DbiConnection& db) {
  // Its own table, created by whoever writes it first: the schema version of the events and
  // rollups does not change, and an older smbta simply ignores it. MySQL's key needs a length:
  // "server|sender" holds a sender of up to kMaxSenderLength characters and its host part (or a
  // peer address) again, 257 at most; the 255 of earlier releases refused the longest in strict
  // mode, and with them the whole save (one transaction) of every sender.
  static_assert(2 * smbta::kMaxSenderLength + 1 <= static_cast<std::size_t>(kMysqlKeyChars));
  const std::string key =
      db.is_mysql() ? fmt::format("varchar({})", kMysqlKeyChars) : std::string("varchar");
  const char* text = db.is_mysql() ? "text" : "varchar";
  const char* tail = db.is_mysql() ? " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin" : "";
  db.exec(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (sender_key {} PRIMARY KEY, server {} NOT NULL, sender {} "
      "NOT NULL, peer {} NOT NULL, received bigint NOT NULL, stored bigint NOT NULL, replayed "
      "bigint NOT NULL, duplicates bigint NOT NULL, dropped bigint NOT NULL, highest bigint NOT "
      "NULL, seq_floor bigint NOT NULL, given_up bigint NOT NULL, missing bigint NOT NULL, gaps "
      "{} NOT NULL, last_seen bigint NOT NULL){}",
      kTable, key, text, text, text, text, tail));
  if (!db.is_mysql()) return;
  auto width = db.query(fmt::format(
      "SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
      "DATABASE() AND TABLE_NAME = '{}' AND COLUMN_NAME = 'sender_key'",
      kTable));
  if (width.next() && width.get_int(1).value_or(kMysqlKeyChars) < kMysqlKeyChars)
    db.exec(fmt::format("ALTER TABLE {} MODIFY sender_key varchar({}) NOT NULL", kTable,
                        kMysqlKeyChars));
}

void save(DbiConnection& db, const std::vector<SenderLoss>& senders) {
  Bases none;
  save(db, senders, none);
}

void save(DbiConnection& db, const std::vector<SenderLoss>& senders, Bases& bases) {
  if (senders.empty()) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::string assignments;
  for (const char* c : {"peer", "received", "stored", "replayed", "duplicates", "dropped",
                        "highest", "seq_floor", "given_up", "missing", "gaps", "last_seen"}) {
    if (!assignments.empty()) assignments += ", ";
    assignments += fmt::format("{} = {}", c, dialect::new_value(db, c));
  }
  const std::string conflict = dialect::on_conflict_update(db, "sender_key", assignments);
  db.begin();
  try {
    for (const auto& fresh : senders) {
      std::optional<SenderLoss> whole;
      if (fresh.incarnation != 0) {
        Base& b = bases[fresh.key()];
        if (b.incarnation != fresh.incarnation) b = {fresh.incarnation, load_one(db, fresh.key())};
        b.used_ms = now;
        if (b.stored) whole = merged(*b.stored, fresh);
      }
      const SenderLoss& s = whole ? *whole : fresh;
      db.exec(fmt::format(
          "INSERT INTO {} (sender_key, server, sender, peer, received, stored, replayed, "
          "duplicates, dropped, highest, seq_floor, given_up, missing, gaps, last_seen) VALUES "
          "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) {}",
          kTable, db.quote(s.key()), db.quote(s.server), db.quote(s.sender), db.quote(s.peer),
          as_bigint(s.received), as_bigint(s.stored), as_bigint(s.replayed),
          as_bigint(s.duplicates), as_bigint(s.dropped), as_bigint(s.highest), as_bigint(s.floor),
          as_bigint(s.given_up), as_bigint(s.missing()), db.quote(format_gaps(s.gaps)),
          s.last_seen_ms, conflict));
    }
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
  // Bounded: a base idle for a day is forgotten (its sender was evicted or has ended: an smbd
  // process).
  if (bases.size() > 50000)
    std::erase_if(bases, [&](const auto& e) { return now - e.second.used_ms > 86'400'000; });
}

namespace {

constexpr std::string_view kColumns =
    "server, sender, peer, received, stored, replayed, duplicates, dropped, highest, seq_floor, "
    "given_up, gaps, last_seen";

SenderLoss read_row(const DbiResult& r) {
  SenderLoss s;
  s.server = r.get_text(1).value_or("");
  s.sender = r.get_text(2).value_or("");
  s.peer = r.get_text(3).value_or("");
  s.received = column(r, 4);
  s.stored = column(r, 5);
  s.replayed = column(r, 6);
  s.duplicates = column(r, 7);
  s.dropped = column(r, 8);
  s.highest = column(r, 9);
  s.floor = column(r, 10);
  s.given_up = column(r, 11);
  s.gaps = parse_gaps(r.get_text(12).value_or(""));
  s.last_seen_ms = r.get_int(13).value_or(0);
  return s;
}

}  // namespace

std::vector<SenderLoss> load(DbiConnection& db) {
  std::vector<SenderLoss> out;
  if (!schema::has_table(db, kTable)) return out;
  auto r = db.query(fmt::format("SELECT {} FROM {} ORDER BY last_seen", kColumns, kTable));
  while (r.next()) out.push_back(read_row(r));
  return out;
}

std::optional<SenderLoss> load_one(DbiConnection& db, const std::string& key) {
  auto r = db.query(
      fmt::format("SELECT {} FROM {} WHERE sender_key = {}", kColumns, kTable, db.quote(key)));
  if (!r.next()) return std::nullopt;
  return read_row(r);
}

std::uint64_t purge_older_than(DbiConnection& db, std::int64_t cutoff_ms) {
  if (!schema::has_table(db, kTable)) return 0;
  return db.exec(fmt::format("DELETE FROM {} WHERE last_seen < {}", kTable, cutoff_ms));
}

}  // namespace loss_ledger
}  // namespace smbta::store
