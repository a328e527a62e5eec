// SPDX-License-Identifier: GPL-3.0-or-later
#include "run_app.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>

#include "random_script.h"
#include "run_file.h"
#include "stop_signal.h"
#include "torture.h"

namespace smbta::torture {

namespace {

bool write_json(const Options& o, const Tally& t) {
  if (o.json_file.empty()) return true;
  const std::string j = t.json();
  if (o.json_file == "-") {
    std::fputs(j.c_str(), stdout);
    return true;
  }
  std::ofstream out(o.json_file, std::ios::trunc);
  out << j;
  out.flush();
  if (!out) {
    std::fprintf(stderr, "smbtatorture: cannot write the report to %s: %s\n", o.json_file.c_str(),
                 std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

int run_app(const Options& o) {
  install_stop_handlers();
  std::unique_ptr<ActionSource> source;
  std::unique_ptr<RunRecorder> recorder;
  std::uint64_t seed = 0;
  try {
    if (!o.replay_file.empty()) {
      auto replayer = std::make_unique<RunReplayer>(o.replay_file, o.users.size(), o.shares.size());
      seed = replayer->seed();
      source = std::move(replayer);
    } else {
      seed =
          o.seed ? *o.seed : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
      seed &= 0x7fffffffffffffffULL;  // -S takes it back
      RandomScript::Params p;
      for (const auto& u : o.users) p.users.push_back(u.user);
      p.shares = o.shares.size();
      p.files = o.files;
      p.total_size = o.total_size;
      p.max_pause_s = o.max_pause_s;
      p.prefix = o.prefix;
      p.seed = seed;
      source = std::make_unique<RandomScript>(std::move(p));
      if (!o.record_file.empty())
        recorder =
            std::make_unique<RunRecorder>(o.record_file, o.users.size(), o.shares.size(), seed);
    }
  } catch (const RunFileError& e) {
    std::fprintf(stderr, "smbtatorture: %s\n", e.what());
    return 2;
  }
  if (o.verbose)
    std::fprintf(stderr, "smbtatorture: seed %llu\n", static_cast<unsigned long long>(seed));

  int rc = 0;
  std::unique_ptr<Torture> torture;
  try {
    torture = std::make_unique<Torture>(o);
    torture->run(*source, recorder.get(), seed, [] { return stop_requested(); });
  } catch (const RunFileError& e) {
    std::fprintf(stderr, "smbtatorture: %s\n", e.what());
    rc = 2;
  } catch (const SmbError& e) {
    std::fprintf(stderr, "smbtatorture: %s\n", e.what());
    rc = 1;
  }
  if (!torture) return rc;
  std::fputs(torture->tally().text().c_str(), stdout);
  if (!write_json(o, torture->tally()) && rc == 0) rc = 1;
  return rc;
}

}  // namespace smbta::torture
