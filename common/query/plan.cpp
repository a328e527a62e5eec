// SPDX-License-Identifier: GPL-3.0-or-later
// The names that results and titles give to plan values (modes, dimensions).
#include "query/plan.h"

namespace smbta::query {

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::kRead:
      return "r";
    case Mode::kWrite:
      return "w";
    case Mode::kReadWrite:
      return "rw";
  }
  return "rw";
}

std::string_view dimension_name(Dimension d) {
  switch (d) {
    case Dimension::kUsers:
      return "users";
    case Dimension::kShares:
      return "shares";
    case Dimension::kFiles:
      return "files";
    case Dimension::kDomains:
      return "domains";
  }
  return "users";
}

std::string_view percentile_name(Percentile p) {
  switch (p) {
    case Percentile::kAll:
      return "all";
    case Percentile::kP50:
      return "p50";
    case Percentile::kP95:
      return "p95";
    case Percentile::kP99:
      return "p99";
    case Percentile::kMax:
      return "max";
  }
  return "all";
}

std::string_view latency_mode_name(LatencyMode m) {
  switch (m) {
    case LatencyMode::kRead:
      return "r";
    case LatencyMode::kWrite:
      return "w";
    case LatencyMode::kReadWrite:
      return "rw";
    case LatencyMode::kOps:
      return "ops";
  }
  return "rw";
}

}  // namespace smbta::query
