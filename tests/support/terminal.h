// SPDX-License-Identifier: GPL-3.0-or-later
// A real terminal of a known size for full-screen programs: a private tmux server.
#pragma once

#include <string>
#include <vector>

namespace smbta::testing {

// Why: the ncurses screen needs a real terminal of a known size that a test can type into and
// read back; a private tmux server (its own socket) gives both and leaves the user's tmux alone.
class Tmux {
 public:
  // Starts a detached session of `cols` x `rows` running `command` in /bin/sh.
  Tmux(const std::string& command, int cols, int rows);
  ~Tmux();
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  std::string capture() const;
  void keys(const std::string& keys) const;
  void resize(int cols, int rows) const;

 private:
  int run(const std::vector<std::string>& args, std::string* output = nullptr) const;
  std::string socket_;
};

}  // namespace smbta::testing
