// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/terminal.h"

#include <unistd.h>

#include <stdexcept>

#include "support/files.h"
#include "support/process.h"

namespace smbta::testing {

Tmux::Tmux(const std::string& command, int cols, int rows)
    : socket_("smbta-rt-" + std::to_string(::getpid())) {
  if (run({"-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", std::to_string(cols), "-y",
           std::to_string(rows), command}) != 0)
    throw std::runtime_error("tmux new-session failed");
}

Tmux::~Tmux() {
  run({"kill-server"});
}

int Tmux::run(const std::vector<std::string>& args, std::string* output) const {
  std::vector<std::string> argv{"tmux", "-L", socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  const TempDir dir("smbta-rt-tmux");
  ChildIo io;
  io.out = dir.path() / "out";
  io.err = "/dev/null";
  const RunResult r = smbta::testing::run(argv, io);
  if (output) *output = r.out;
  return r.status;
}

std::string Tmux::capture() const {
  std::string s;
  run({"capture-pane", "-p", "-t", "t"}, &s);
  return s;
}

void Tmux::keys(const std::string& keys) const {
  run({"send-keys", "-t", "t", keys});
}

void Tmux::resize(int cols, int rows) const {
  run({"resize-window", "-t", "t", "-x", std::to_string(cols), "-y", std::to_string(rows)});
}

}  // namespace smbta::testing
