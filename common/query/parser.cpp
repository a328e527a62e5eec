// SPDX-License-Identifier: GPL-3.0-or-later
#include "query/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <span>
#include <vector>

#include "smbta/timestamp.h"

namespace smbta::query {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::uint32_t kMaxRows = 1'000'000;
constexpr std::uint32_t kMaxBuckets = 10'000;

enum class Tok : std::uint8_t { kWord, kQuoted, kComma, kSemicolon, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // unescaped for quoted strings
  std::size_t pos = 0;
  std::size_t len = 0;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (true) {
    while (i < s.size() && is_blank(s[i])) ++i;
    if (i == s.size()) break;
    const std::size_t start = i;
    const char c = s[i];
    if (c == ',' || c == ';') {
      out.push_back({c == ',' ? Tok::kComma : Tok::kSemicolon, std::string(1, c), i, 1});
      ++i;
      continue;
    }
    Token t;
    t.pos = start;
    if (c == '\'' || c == '"') {
      t.kind = Tok::kQuoted;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          t.text += s[i + 1];
          i += 2;
        } else if (s[i] == c) {
          ++i;
          closed = true;
          break;
        } else {
          t.text += s[i++];
        }
      }
      if (!closed)
        throw ParseError(fmt::format("unterminated quote: the {} opened here is never closed",
                                     c == '"' ? "\"" : "'"),
                         start, 1);
    } else {
      t.kind = Tok::kWord;
      while (i < s.size() && !is_blank(s[i]) && s[i] != ',' && s[i] != ';') ++i;
      t.text = std::string(s.substr(start, i - start));
    }
    t.len = i - start;
    if (t.text.size() > kMaxWordLength)
      throw ParseError(
          fmt::format("word of {} bytes is too long (at most {})", t.text.size(), kMaxWordLength),
          start, std::min<std::size_t>(t.len, 40));
    out.push_back(std::move(t));
  }
  out.push_back({Tok::kEnd, "", s.size(), 0});
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The expected word closest to what was written, if it is close enough to be a typo.
std::string closest(std::string_view got, std::span<const std::string_view> expected) {
  if (got.size() > 64) return {};
  const std::string g = lower(got);
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, g.size() / 3) + 1;
  for (auto e : expected) {
    const std::size_t d = edit_distance(g, e);
    if (d < best_d) {
      best_d = d;
      best = std::string(e);
    }
  }
  return best;
}

std::string shown(const Token& t) {
  if (t.kind == Tok::kEnd) return "the end of the query";
  std::string s = t.text.size() > 40 ? t.text.substr(0, 40) + "..." : t.text;
  return fmt::format("'{}'", s);
}

std::string one_of(std::span<const std::string_view> words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i) out += i + 1 == words.size() ? " or " : ", ";
    out += fmt::format("'{}'", words[i]);
  }
  return out;
}

constexpr std::array<std::string_view, 6> kObjects = {"global", "share",  "user",
                                                      "file",   "domain", "system"};
constexpr std::array<std::string_view, 14> kFunctions = {
    "total",      "list",          "top",        "last_activity", "usage", "24h_usage", "search",
    "throughput", "smbtad-report", "self-check", "latency",       "trend", "loss",      "alerts"};
constexpr std::array<std::string_view, 4> kPercentiles = {"p50", "p95", "p99", "max"};
constexpr std::array<std::string_view, 4> kLatencyModes = {"r", "w", "rw", "ops"};
constexpr std::uint32_t kMaxTrendDays = 3660;
constexpr std::array<std::string_view, 3> kModes = {"r", "w", "rw"};
constexpr std::array<std::string_view, 4> kDims = {"users", "shares", "files", "domains"};
constexpr std::array<std::string_view, 8> kUnits = {"seconds", "minutes", "hours", "days",
                                                    "second",  "minute",  "hour",  "day"};

// Why: a cursor over the token list with the error helpers every grammar rule needs.
class Parser {
 public:
  Parser(std::string_view text, std::int64_t now) : toks_(lex(text)), now_(now) {}

  QueryPlan run() {
    QueryPlan plan;
    Filter filter;
    while (peek().kind != Tok::kEnd) {
      const Token& t = peek();
      if (t.kind == Tok::kSemicolon) {
        ++i_;
        filter = Filter{};
        continue;
      }
      if (t.kind == Tok::kComma) throw err(t, "empty item: expected an object or a function");
      item(plan, filter);
      const Token& sep = peek();
      if (sep.kind == Tok::kComma) {
        ++i_;
        if (peek().kind == Tok::kEnd || peek().kind == Tok::kSemicolon)
          throw err(peek(), "expected an object or a function after ','");
      } else if (sep.kind != Tok::kSemicolon && sep.kind != Tok::kEnd) {
        throw err(sep, fmt::format("unexpected {}: expected ',' or ';'", shown(sep)));
      }
    }
    if (plan.steps.empty()) {
      const Token& end = peek();
      throw ParseError(
          "the query has no function; add one, e.g. 'global, total rw;' (smbtaquery -p lists "
          "them)",
          end.pos, 0, "total");
    }
    return plan;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    return toks_[std::min(i_ + ahead, toks_.size() - 1)];
  }
  const Token& take() {
    const Token& t = peek();
    if (t.kind != Tok::kEnd) ++i_;
    return t;
  }
  static ParseError err(const Token& t, std::string msg, std::string suggestion = {}) {
    if (!suggestion.empty()) msg += fmt::format("; did you mean '{}'?", suggestion);
    return ParseError(std::move(msg), t.pos, std::max<std::size_t>(t.len, 1),
                      std::move(suggestion));
  }
  // A keyword out of `words`, or an error naming them and the closest one.
  std::string_view keyword(std::span<const std::string_view> words, std::string_view what) {
    const Token& t = take();
    if (t.kind == Tok::kWord) {
      const std::string w = lower(t.text);
      for (auto k : words)
        if (k == w) return k;
    }
    throw err(t, fmt::format("expected {} ({}), found {}", what, one_of(words), shown(t)),
              t.kind == Tok::kWord ? closest(t.text, words) : std::string());
  }
  bool next_is(std::string_view word) const {
    return peek().kind == Tok::kWord && lower(peek().text) == word;
  }
  std::string name(std::string_view after) {
    const Token& t = take();
    if (t.kind != Tok::kWord && t.kind != Tok::kQuoted)
      throw err(t, fmt::format("expected a name after '{}', found {}", after, shown(t)));
    if (t.text.empty()) throw err(t, fmt::format("the name after '{}' is empty", after));
    return t.text;
  }
  std::uint32_t number(std::string_view what, std::uint32_t max) {
    const Token& t = take();
    std::uint64_t v = 0;
    if (t.kind == Tok::kWord) {
      auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
      if (ec == std::errc() && p == t.text.data() + t.text.size() && v >= 1 && v <= max)
        return static_cast<std::uint32_t>(v);
    }
    throw err(
        t, fmt::format("expected {} (a whole number from 1 to {}), found {}", what, max, shown(t)));
  }
  Mode mode() {
    auto m = keyword(kModes, "the access mode");
    return m == "r" ? Mode::kRead : m == "w" ? Mode::kWrite : Mode::kReadWrite;
  }
  // The optional percentile and mode of latency and top ... slowest, in this order.
  void latency_args(Percentile& pct, LatencyMode& mode) {
    if (peek().kind == Tok::kWord) {
      const std::string w = lower(peek().text);
      for (std::size_t k = 0; k < kPercentiles.size(); ++k)
        if (w == kPercentiles[k]) {
          ++i_;
          pct = static_cast<Percentile>(k + 1);
          break;
        }
    }
    if (peek().kind == Tok::kWord) {
      const std::string w = lower(peek().text);
      for (std::size_t k = 0; k < kLatencyModes.size(); ++k)
        if (w == kLatencyModes[k]) {
          ++i_;
          mode = static_cast<LatencyMode>(k);
          return;
        }
      std::vector<std::string_view> all(kPercentiles.begin(), kPercentiles.end());
      all.insert(all.end(), kLatencyModes.begin(), kLatencyModes.end());
      const Token& bad = peek();
      throw err(bad,
                fmt::format("expected a percentile ({}), a mode ({}), ',' or ';', found {}",
                            one_of(kPercentiles), one_of(kLatencyModes), shown(bad)),
                closest(bad.text, all));
    }
  }
  Dimension dimension() {
    auto d = keyword(kDims, "what to list");
    return d == "users"    ? Dimension::kUsers
           : d == "shares" ? Dimension::kShares
           : d == "files"  ? Dimension::kFiles
                           : Dimension::kDomains;
  }

  static bool parse_uint(std::string_view s, unsigned& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  }
  // "HH:MM" or "HH:MM:SS" -> ms since midnight.
  static std::optional<std::int64_t> clock_time(std::string_view s) {
    unsigned h = 0, m = 0, sec = 0;
    if (s.size() == 5 && s[2] == ':') {
      if (!parse_uint(s.substr(0, 2), h) || !parse_uint(s.substr(3, 2), m)) return std::nullopt;
    } else if (s.size() == 8 && s[2] == ':' && s[5] == ':') {
      if (!parse_uint(s.substr(0, 2), h) || !parse_uint(s.substr(3, 2), m) ||
          !parse_uint(s.substr(6, 2), sec))
        return std::nullopt;
    } else {
      return std::nullopt;
    }
    if (h > 23 || m > 59 || sec > 59) return std::nullopt;
    return (static_cast<std::int64_t>(h) * 3600 + m * 60 + sec) * 1000;
  }
  static std::optional<std::int64_t> date(std::string_view s) {
    if (s.size() != 10) return std::nullopt;
    return parse_timestamp(std::string(s) + " 00:00:00");
  }
  std::int64_t today() const {
    std::int64_t d = now_ / kDayMs;
    if (now_ % kDayMs < 0) --d;
    return d * kDayMs;
  }
  // One TIME, possibly two words ("2011-05-25 10:00").
  std::int64_t time_value() {
    const Token& t = take();
    const std::string w = lower(t.text);
    if (t.kind == Tok::kWord || t.kind == Tok::kQuoted) {
      if (w == "now") return now_;
      if (w == "today") return today();
      if (w == "yesterday") return today() - kDayMs;
      if (auto c = clock_time(w)) return today() + *c;
      if (auto d = date(w)) {
        if (t.kind == Tok::kWord && peek().kind == Tok::kWord)
          if (auto c = clock_time(peek().text)) {
            ++i_;
            return *d + *c;
          }
        return *d;
      }
      // Quoted 'YYYY-MM-DD HH:MM[:SS[.mmm]]'.
      if (w.size() > 11 && w[10] == ' ')
        if (auto d = date(w.substr(0, 10))) {
          const std::string_view rest = std::string_view(w).substr(11);
          if (auto c = clock_time(rest)) return *d + *c;
          if (auto full = parse_timestamp(w)) return *full;
        }
    }
    static constexpr std::array<std::string_view, 3> kWords = {"now", "today", "yesterday"};
    throw err(t,
              fmt::format("expected a time (now, today, yesterday, YYYY-MM-DD, HH:MM[:SS] or "
                          "'YYYY-MM-DD HH:MM:SS'), found {}",
                          shown(t)),
              t.kind == Tok::kWord ? closest(t.text, kWords) : std::string());
  }
  std::optional<TimeRange> time_spec() {
    if (next_is("since")) {
      ++i_;
      return TimeRange{time_value(), kNoUpperBound};
    }
    if (next_is("from")) {
      const Token& from = take();
      TimeRange r;
      r.from = time_value();
      static constexpr std::array<std::string_view, 1> kTo = {"to"};
      keyword(kTo, "the end of the time range");
      r.to = time_value();
      if (r.from >= r.to)
        throw err(from, fmt::format("empty time range: {} is not before {}",
                                    format_timestamp(r.from).substr(0, 19),
                                    format_timestamp(r.to).substr(0, 19)));
      return r;
    }
    return std::nullopt;
  }

  void item(QueryPlan& plan, Filter& filter) {
    const Token& t = peek();
    if (t.kind != Tok::kWord) {
      throw err(t, fmt::format("expected an object or a function, found {}", shown(t)));
    }
    const std::string w = lower(t.text);
    const std::size_t pos = t.pos;
    ++i_;
    ObjectRef obj;
    obj.pos = pos;
    if (w == "global" || w == "system") {
      filter.objects.clear();
      obj.kind = w == "global" ? ObjectKind::kGlobal : ObjectKind::kSystem;
      if (obj.kind == ObjectKind::kGlobal) obj.range = time_spec();
      filter.objects.push_back(std::move(obj));
      return;
    }
    if (w == "share" || w == "user" || w == "file" || w == "domain") {
      obj.kind = w == "share"  ? ObjectKind::kShare
                 : w == "user" ? ObjectKind::kUser
                 : w == "file" ? ObjectKind::kFile
                               : ObjectKind::kDomain;
      obj.name = name(w);
      if (obj.kind == ObjectKind::kUser && next_is("sid")) {
        ++i_;
        obj.sid = name("sid");
      }
      obj.range = time_spec();
      filter.objects.push_back(std::move(obj));
      return;
    }
    Step step;
    step.filter = filter;
    step.pos = pos;
    if (w == "total") {
      step.fn = Total{mode()};
    } else if (w == "list") {
      step.fn = List{dimension()};
    } else if (w == "top") {
      Top top{};
      top.n = number("the number of entries", kMaxRows);
      top.what = dimension();
      if (next_is("slowest")) {
        if (top.what == Dimension::kDomains)
          throw err(peek(), "'top ... slowest' ranks users, shares or files, not domains");
        ++i_;
        TopSlowest slow{top.n, top.what};
        latency_args(slow.pct, slow.mode);
        step.fn = slow;
        plan.steps.push_back(std::move(step));
        return;
      }
      top.mode = mode();
      if (next_is("asc") || next_is("desc"))
        top.ascending = lower(take().text) == "asc";
      else if (peek().kind == Tok::kWord) {
        static constexpr std::array<std::string_view, 2> kOrder = {"desc", "asc"};
        const Token& bad = peek();
        throw err(
            bad,
            fmt::format("expected 'asc', 'desc', ',' or ';' after the mode, found {}", shown(bad)),
            closest(bad.text, kOrder));
      }
      step.fn = top;
    } else if (w == "last_activity") {
      LastActivity la{number("the number of events", kMaxRows)};
      if (next_is("with")) {
        ++i_;
        static constexpr std::array<std::string_view, 1> kWith = {"chdir"};
        keyword(kWith, "what to include ('chdir')");
        la.with_chdir = true;
      }
      step.fn = la;
    } else if (w == "usage" || w == "24h_usage") {
      if (w == "usage" && peek().kind == Tok::kWord && !peek().text.empty() &&
          peek().text[0] >= '0' && peek().text[0] <= '9')
        throw err(peek(),
                  "'usage' takes only the mode now (r, w or rw); the chart size of 1.2.x is gone");
      step.fn = Usage{mode()};
    } else if (w == "search") {
      const Token& p = take();
      if (p.kind != Tok::kWord && p.kind != Tok::kQuoted)
        throw err(p, fmt::format("expected a search pattern, found {}", shown(p)));
      if (p.text.empty()) throw err(p, "the search pattern is empty");
      step.fn = Search{p.text};
    } else if (w == "throughput") {
      Throughput tp{};
      tp.n = number("the number of intervals", kMaxBuckets);
      tp.unit = std::string(keyword(kUnits, "the interval unit"));
      const char u = tp.unit[0];
      tp.unit_ms = u == 's' ? 1000 : u == 'm' ? 60'000 : u == 'h' ? 3'600'000 : kDayMs;
      if (tp.unit.back() != 's') tp.unit += 's';
      tp.mode = mode();
      step.fn = tp;
    } else if (w == "latency") {
      Latency lat;
      latency_args(lat.pct, lat.mode);
      step.fn = lat;
    } else if (w == "trend") {
      Trend tr;
      if (peek().kind == Tok::kWord && !peek().text.empty() && peek().text[0] >= '0' &&
          peek().text[0] <= '9') {
        tr.days = number("the number of days", kMaxTrendDays);
        static constexpr std::array<std::string_view, 2> kDays = {"days", "day"};
        keyword(kDays, "the unit of the trend ('days')");
      }
      step.fn = tr;
    } else if (w == "smbtad-report") {
      static constexpr std::array<std::string_view, 2> kKinds = {"short", "full"};
      step.fn = Report{keyword(kKinds, "the report kind") == "full"};
    } else if (w == "self-check") {
      if (next_is("online"))
        throw err(peek(),
                  "self-check online is not available: smbta does not contact the network; use "
                  "'self-check offline'",
                  "offline");
      if (next_is("offline")) ++i_;
      step.fn = SelfCheck{};
    } else if (w == "loss") {
      step.fn = Loss{};
    } else if (w == "alerts") {
      Alerts a;
      if (peek().kind == Tok::kWord && !peek().text.empty() && peek().text[0] >= '0' &&
          peek().text[0] <= '9')
        a.n = number("the number of alerts", kMaxRows);
      step.fn = a;
    } else if (lower(t.text).starts_with("select")) {
      throw err(t, "raw SQL is not accepted; use the query language (smbtaquery -p)");
    } else {
      std::vector<std::string_view> all(kObjects.begin(), kObjects.end());
      all.insert(all.end(), kFunctions.begin(), kFunctions.end());
      const bool called = peek().kind == Tok::kWord || peek().kind == Tok::kQuoted;
      throw err(t,
                fmt::format("unknown {} {}", called ? "function" : "object or function", shown(t)),
                closest(t.text, all));
    }
    plan.steps.push_back(std::move(step));
  }

  std::vector<Token> toks_;
  std::size_t i_ = 0;
  std::int64_t now_;
};

}  // namespace

QueryPlan parse(std::string_view text, std::int64_t now_ms) {
  if (text.size() > kMaxQueryLength)
    throw ParseError(
        fmt::format("query of {} bytes is too long (at most {})", text.size(), kMaxQueryLength), 0,
        0);
  return Parser(text, now_ms).run();
}

std::string describe(const ParseError& e, std::string_view text) {
  // The line holding the error, with a caret under the word (columns count UTF-8 characters).
  std::size_t pos = std::min(e.pos(), text.size());
  std::size_t line_start = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  line_start = line_start == std::string_view::npos || pos == 0 ? 0 : line_start + 1;
  if (pos < line_start) line_start = 0;
  std::size_t line_end = text.find('\n', pos);
  if (line_end == std::string_view::npos) line_end = text.size();
  auto chars = [](std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  // Long lines: show a window around the error.
  std::size_t from = line_start;
  if (pos - line_start > 60) from = pos - 40;
  while (from > line_start && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) --from;
  std::size_t to = std::min(line_end, std::max(pos + e.len() + 20, from + 100));
  std::string line(text.substr(from, to - from));
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  const std::size_t col = chars(text.substr(line_start, pos - line_start)) + 1;
  const std::size_t indent = chars(text.substr(from, pos - from));
  const std::size_t width =
      std::max<std::size_t>(1, std::min<std::size_t>(chars(text.substr(pos, e.len())), 40));
  return fmt::format("error at column {}: {}\n  {}{}{}\n  {}{}", col, e.what(),
                     from > line_start ? "..." : "", line, to < line_end ? "..." : "",
                     std::string(indent + (from > line_start ? 3 : 0), ' '),
                     std::string(width, '^'));
}

std::string_view language_help() {
  return R"(Interpreter commands

usage: smbtaquery -q 'OBJECT, ..., FUNCTION, ...;'

A query is a list of items separated by ',' and ended by ';' (optional). Objects narrow what
the following functions look at and are combined (ANDed); ';' starts over with 'global'.

OBJECT:
  global [TIME]                 everything (the default)
  share SHARE [TIME]            one share
  user USER [sid SID] [TIME]    one user; 'sid' picks one of several users of that name
  file FILE [TIME]              one file (as the VFS module sent its path)
  domain DOMAIN [TIME]          one domain
  system                        the smbtad installation (for smbtad-report, self-check, loss)

TIME:
  from T to T | since T         T: now, today, yesterday, YYYY-MM-DD, HH:MM[:SS],
                                   'YYYY-MM-DD HH:MM:SS' (local time, 'from' inclusive)

FUNCTION:
  total r|w|rw                              bytes read, written or both
  list users|shares|files|domains           what was accessed
  top N users|shares|files|domains r|w|rw [desc|asc]
  last_activity N [with chdir]              the N latest operations; chdir (changes of
                                            directory) only with 'with chdir'
  usage r|w|rw  (alias 24h_usage)           traffic per hour of the day, with shares
  search PATTERN                            users, SIDs, domains, shares and files matching
                                            PATTERN, case-insensitive. Without % or _ it
                                            matches anywhere in a name (oo finds food); with
                                            them it is a LIKE pattern for the whole name
                                            (% any text, _ one character: oo% finds only
                                            names that begin with oo)
  throughput N seconds|minutes|hours|days r|w|rw
                                            bytes and bytes/s per interval over the last N
  latency [p50|p95|p99|max] [r|w|rw|ops]    operation latency percentiles in microseconds
                                            (default: all four, of reads and writes; ops:
                                            every timed operation)
  top N users|shares|files slowest [p50|p95|p99|max] [r|w|rw|ops]
                                            ranked by latency (default p95 rw)
  trend [N days]                            bytes read and written per day over the last N
                                            days (default 30), growth per day and the
                                            busiest hour of the week
  smbtad-report full|short                  smbtad's configuration from the database
  self-check [offline]                      versions of smbtad, smbtaquery and the database,
                                            and the modules seen
  loss                                      per Samba server: records received, stored,
                                            replayed from a module's spool, duplicates,
                                            dropped by the module and missing (with TIME:
                                            the module processes heard of then)
  alerts [N]                                the N latest burst alerts smbtad raised
                                            (ransomware, exfiltration), newest first

Names with blanks, ',' or ';' are quoted: share 'my share' or share "it's". Keywords are
case-insensitive. Examples:
  smbtaquery -q 'global, total rw;'
  smbtaquery -q 'user holger since yesterday, total rw;'
  smbtaquery -q 'share pool from 2011-05-25 to today, top 10 files rw;'
)";
}

}  // namespace smbta::query
