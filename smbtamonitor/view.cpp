// SPDX-License-Identifier: GPL-3.0-or-later
#include "view.h"

#include <curses.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "smbta/version.h"

namespace smbta::realtime {
namespace {

enum Pair : short { kRead = 1, kWrite = 2, kAlert = 3 };

void put(int y, int x, std::string_view s, int width) {
  if (width <= 0 || y < 0 || y >= LINES) return;
  mvaddnstr(y, x, s.data(), std::min<int>(width, static_cast<int>(s.size())));
}

std::string exact(std::uint64_t v) {
  return fmt::format("{} B", v);
}

}  // namespace

std::string connection_line(const ViewStatus& s) {
  std::string line = fmt::format("connected to {} since {}", s.endpoint, s.connected_since);
  if (s.connected_since != s.started) line += fmt::format(", totals since {}", s.started);
  return line;
}

Screen::Screen() {
  // ncurses itself would paint into a pipe as long as TERM is set.
  if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1)
    throw std::runtime_error(
        "the screen needs a terminal on standard input and output; use --batch for a pipe or "
        "a file");
  // newterm, unlike initscr, reports a missing terminal instead of exiting the process.
  screen_ = newterm(nullptr, stdout, stdin);
  if (screen_ == nullptr) throw std::runtime_error("cannot initialise the terminal (is TERM set?)");
  set_term(screen_);
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  curs_set(0);
  if (has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kRead, COLOR_RED, -1);
    init_pair(kWrite, COLOR_BLUE, -1);
    init_pair(kAlert, COLOR_YELLOW, -1);
    colors_ = true;
  }
}

Screen::~Screen() {
  endwin();
  delscreen(screen_);
}

int Screen::key() {
  const int k = getch();
  return k == ERR ? -1 : k;
}

void Screen::draw(const TrafficModel& m, const ViewStatus& s) {
  erase();
  const int w = COLS, h = LINES;
  if (w < 30 || h < 8) {
    put(0, 0, fmt::format("terminal too small ({}x{}); q quits", w, h), w);
    refresh();
    return;
  }

  attron(A_REVERSE);
  mvhline(0, 0, ' ', w);
  put(0, 0, fmt::format(" smbtamonitor {} - {} - q quit, p pause", SMBTA_VERSION, s.object), w);
  attroff(A_REVERSE);

  std::string status = s.paused ? "PAUSED (p or space resumes) - " : "";
  status += s.connected ? connection_line(s) : s.connection;
  if (!s.connected) attron(A_BOLD | (colors_ ? COLOR_PAIR(kAlert) : 0));
  put(1, 0, status, w);
  if (!s.connected) attroff(A_BOLD | (colors_ ? COLOR_PAIR(kAlert) : 0));

  // Totals, current second and peak second; the exact byte count only where it fits.
  const bool wide = w >= 90;
  const int col = wide ? 30 : (w - 12) / 3;
  attron(A_BOLD);
  put(3, 12, "total", col);
  put(3, 12 + col, "last second", col);
  put(3, 12 + 2 * col, "peak second", w - 12 - 2 * col);
  attroff(A_BOLD);
  const Traffic cur = m.current();
  const struct {
    const char* label;
    std::uint64_t total, now, peak;
  } rows[] = {
      {"read", m.totals().read, cur.read, m.peak_read()},
      {"write", m.totals().write, cur.write, m.peak_write()},
      {"read+write", m.totals().rw(), cur.rw(), m.peak().rw()},
  };
  int y = 4;
  for (const auto& r : rows) {
    put(y, 0, r.label, 12);
    std::string total = human_bytes(r.total);
    if (wide) total += " (" + exact(r.total) + ")";
    put(y, 12, total, col - 1);
    put(y, 12 + col, human_bytes(r.now) + "/s", col - 1);
    put(y, 12 + 2 * col, human_bytes(r.peak) + "/s", w - 12 - 2 * col);
    ++y;
  }

  // The rest is split between the throughput graph and the log; tiny terminals get the log only.
  const int rest = h - 8;
  const int graph_rows = rest >= 8 ? std::min(rest / 2, 15) : 0;
  y = 8;
  if (graph_rows > 0) {
    const int gw = w;
    const auto samples = m.recent(static_cast<std::size_t>(gw));
    std::uint64_t max = 1;
    for (const auto& t : samples) max = std::max(max, t.rw());
    attron(A_BOLD);
    put(y - 1, 0,
        fmt::format("throughput per second, newest right, top = {}/s  (# read, = write)",
                    human_bytes(max)),
        w);
    attroff(A_BOLD);
    const int x0 = gw - static_cast<int>(samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const Traffic& t = samples[i];
      const auto cells = [&](std::uint64_t v) {
        // Round up so that any traffic at all is visible.
        return static_cast<int>((v * static_cast<std::uint64_t>(graph_rows) + max - 1) / max);
      };
      const int total = cells(t.rw());
      const int read = std::min(total, cells(t.read));
      const int x = x0 + static_cast<int>(i);
      for (int c = 0; c < total; ++c) {
        const bool is_read = c < read;
        const int attr = colors_ ? COLOR_PAIR(is_read ? kRead : kWrite) : 0;
        attron(attr);
        mvaddch(y + graph_rows - 1 - c, x, is_read ? '#' : '=');
        attroff(attr);
      }
    }
    y += graph_rows + 1;
  }

  attron(A_BOLD);
  put(y, 0, fmt::format("activity log, newest first ({} events)", m.log_count()), w);
  attroff(A_BOLD);
  ++y;
  if (m.log().empty()) put(y, 0, "Empty Log.", w);
  for (const auto& e : m.log()) {
    if (y >= h) break;
    put(y++, 0, format_log_line(e), w);
  }
  refresh();
}

}  // namespace smbta::realtime
