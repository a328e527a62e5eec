// SPDX-License-Identifier: GPL-3.0-or-later
#include "service_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

#include <fmt/format.h>

#include "smbta/log.h"

namespace smbtad::service {

namespace {

void send(const std::string& text) {
  // 0: not under systemd; < 0: the socket is gone, worth a debug line but never fatal.
  const int rc = ::sd_notify(0, text.c_str());
  if (rc < 0) smbta::log::debug(1, "sd_notify failed: {}", -rc);
}

std::string status_line(std::string_view s) {
  std::string line = "STATUS=";
  for (char c : s) line += c == '\n' ? ' ' : c;  // one line: a newline would start a new field
  return line;
}

}  // namespace

void ready(std::string_view s) {
  send("READY=1\n" + status_line(s));
}

void reloading() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  // MONOTONIC_USEC lets systemd (Type=notify-reload, 253+) match the reload to this message.
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}",
                   static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000));
}

void reloaded(std::string_view s) {
  send("READY=1\n" + status_line(s));
}

void stopping(std::string_view s) {
  send("STOPPING=1\n" + status_line(s));
}

void status(std::string_view s) {
  send(status_line(s));
}

}  // namespace smbtad::service
