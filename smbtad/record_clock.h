// SPDX-License-Identifier: GPL-3.0-or-later
// How long the partial record (or request) at the end of a connection's stream has been waiting.
#pragma once

#include <chrono>
#include <optional>

namespace smbtad {

// Why: an idle timeout that restarts on every byte lets a peer sending one byte a second hold
// its connection forever; timing the whole record from its first byte bounds what any peer can
// hold, however it spaces its bytes. Module and client sessions keep one each.
class RecordClock {
 public:
  using Clock = std::chrono::steady_clock;

  // After a read has been decoded: `partial` says whether bytes of an unfinished record remain,
  // `completed` whether the read finished at least one record (then the rest began in this
  // read, at `now`).
  void after_read(bool partial, bool completed, Clock::time_point now) {
    if (!partial)
      since_.reset();
    else if (completed || !since_)
      since_ = now;
  }
  // Restarts a pending record's clock (its sender was made to wait, e.g. reads were paused).
  void restart(Clock::time_point now) {
    if (since_) since_ = now;
  }
  // True when a record has been unfinished for `timeout` or longer.
  bool overdue(Clock::time_point now, std::chrono::seconds timeout) const {
    return since_ && now - *since_ >= timeout;
  }

 private:
  std::optional<Clock::time_point> since_;
};

}  // namespace smbtad
