// SPDX-License-Identifier: GPL-3.0-or-later
// smbtamonitor's ncurses screen: draws a TrafficModel into whatever size the terminal has.
#pragma once

#include <string>

#include "traffic_model.h"

struct screen;

namespace smbta::realtime {

// What the screen shows besides the model.
struct ViewStatus {
  std::string object;      // "user 'anna'"
  std::string endpoint;    // "localhost port 3491"
  std::string connection;  // "connected", "smbtad not reachable ..., retrying in 4 s"
  bool connected = false;
  bool paused = false;
  std::string started;          // local time of the first connection, "2026-11-27 10:00:00"
  std::string connected_since;  // local time of the current connection
};

// The header's connection line: "connected to <endpoint> since <time>", and after a reconnect
// also since when the totals count (they are kept across connections).
std::string connection_line(const ViewStatus& s);

// Why: curses state is global and must be undone on every way out (quit key, signal, exception),
// or the user's terminal is left without echo; the constructor sets the terminal up and the
// destructor restores it. Drawing is stateless (everything from the model each time), so a
// resize needs nothing but a redraw.
class Screen {
 public:
  // Throws std::runtime_error unless standard input and output are a terminal: the screen
  // reads keys from one and paints escape sequences into the other, so a pipe gets neither.
  Screen();
  ~Screen();
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  // The next key without waiting, or -1. KEY_RESIZE is returned after the terminal changed size.
  int key();
  void draw(const TrafficModel& m, const ViewStatus& s);

 private:
  ::screen* screen_ = nullptr;
  bool colors_ = false;
};

}  // namespace smbta::realtime
