// SPDX-License-Identifier: GPL-3.0-or-later
// Carries out a run's actions on the shares as its users and counts what they moved.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "action_source.h"
#include "options.h"
#include "run_file.h"
#include "smb_session.h"
#include "tally.h"

namespace smbta::torture {

// The share name of smb://HOST/SHARE[/DIR...] (what Samba's module reports as the share).
std::string share_name(const std::string& url);

// Why: the one loop for new and replayed runs: it owns the users' sessions, applies the count
// and time limits to the actions after the set-up, pauses as each action says, and keeps
// the tally up to date so that the report is exact also when a signal or an error ends it.
class Torture {
 public:
  explicit Torture(const Options& o);

  // Runs until the source ends, a limit is reached or stop() says so. An SMB error ends the
  // run: it is rethrown after the tally is final (tally() stays valid).
  void run(ActionSource& source, RunRecorder* recorder, std::uint64_t seed,
           const std::function<bool()>& stop);
  const Tally& tally() const { return tally_; }

 private:
  void carry_out(const Action& a);
  std::string url(std::size_t share, const std::string& path) const;
  void pause(std::uint32_t ms, const std::function<bool()>& stop);
  void say(const std::string& what) const;

  const Options& o_;
  std::vector<std::unique_ptr<SmbSession>> sessions_;
  std::vector<std::string> share_names_;
  std::vector<char> buffer_;
  Tally tally_;
};

}  // namespace smbta::torture
