// SPDX-License-Identifier: GPL-3.0-or-later
#include "thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace smbtad {

void lower_report_thread_priority() {
  // With PRIO_PROCESS and a thread id, Linux's setpriority applies to that thread alone.
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return;
  ::setpriority(PRIO_PROCESS, tid, std::min(now + kReportNiceness, 19));
}

}  // namespace smbtad
