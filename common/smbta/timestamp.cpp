// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/timestamp.h"

#include <sys/time.h>

#include <ctime>

namespace smbta {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days: exact proleptic Gregorian arithmetic
// without the time zone database (the timestamps carry no zone).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

bool leap(unsigned y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(unsigned y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

void put(char* p, unsigned v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view t) {
  if (t.size() != kTimestampTextSize && t.size() != 19) return std::nullopt;
  unsigned y, mo, d, h, mi, s, ms = 0;
  if (!digits(t, 0, 4, y) || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' ||
      !digits(t, 8, 2, d) || t[10] != ' ' || !digits(t, 11, 2, h) || t[13] != ':' ||
      !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, s))
    return std::nullopt;
  if (t.size() == kTimestampTextSize && (t[19] != '.' || !digits(t, 20, 3, ms)))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
    return std::nullopt;
  const std::int64_t days = days_from_civil(y, mo, d);
  return ((days * 24 + h) * 60 + mi) * 60000 + static_cast<std::int64_t>(s) * 1000 + ms;
}

void format_timestamp(std::int64_t ms, char (&out)[kTimestampTextSize]) {
  std::int64_t days = ms / 86400000;
  std::int64_t rem = ms % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  const Civil c = civil_from_days(days);
  const auto year = static_cast<unsigned>(c.y < 0 ? 0 : (c.y > 9999 ? 9999 : c.y));
  put(out, year, 4);
  out[4] = '-';
  put(out + 5, c.m, 2);
  out[7] = '-';
  put(out + 8, c.d, 2);
  out[10] = ' ';
  const auto r = static_cast<unsigned>(rem);
  put(out + 11, r / 3600000, 2);
  out[13] = ':';
  put(out + 14, r / 60000 % 60, 2);
  out[16] = ':';
  put(out + 17, r / 1000 % 60, 2);
  out[19] = '.';
  put(out + 20, r % 1000, 3);
}

std::string format_timestamp(std::int64_t ms) {
  char buf[kTimestampTextSize];
  format_timestamp(ms, buf);
  return {buf, kTimestampTextSize};
}

std::int64_t local_now_ms() {
  // localtime_r() costs more than the rest of a VFS record's common blocks together (it is
  // called for every record smbd reports), and the local time it yields differs from UTC by an
  // offset that can only change at a whole second (DST, zone changes). So the naive local
  // seconds are taken once per second per thread and the milliseconds added to them.
  thread_local std::time_t cached_sec = static_cast<std::time_t>(-1);
  thread_local std::int64_t cached_local_sec = 0;
  timeval tv{};
  gettimeofday(&tv, nullptr);
  if (tv.tv_sec != cached_sec) {
    tm local{};
    localtime_r(&tv.tv_sec, &local);
    const std::int64_t days =
        days_from_civil(local.tm_year + 1900, static_cast<unsigned>(local.tm_mon + 1),
                        static_cast<unsigned>(local.tm_mday));
    cached_local_sec = ((days * 24 + local.tm_hour) * 60 + local.tm_min) * 60 + local.tm_sec;
    cached_sec = tv.tv_sec;
  }
  return cached_local_sec * 1000 + tv.tv_usec / 1000;
}

}  // namespace smbta
