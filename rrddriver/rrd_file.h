// SPDX-License-Identifier: GPL-3.0-or-later
// The RRD side of rrddriver through librrd: create, update, inspect and graph a traffic RRD.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "client/traffic.h"

namespace smbta::realtime {

// Thrown with librrd's own error text.
class RrdError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The default DS/RRA definition for a step of `step` seconds: three ABSOLUTE data sources
// readwrite, read and write (bytes per interval fed, bytes per second stored, so that summing
// rate x step gives back the bytes exactly however the updates fall), heartbeat 3 steps (at least
// a minute), and AVERAGE archives of one day at full resolution, 35 days of 5 minutes and two
// years of hours.
std::string default_rrd_setup(int step);

// Creates `path` with rrd_create_r unless it exists. Returns true when it created the file.
// `setup` is split at white space into DS/RRA definitions (no shell is involved).
bool create_rrd_if_missing(const std::string& path, int step, const std::string& setup);

// What rrddriver needs to know of an existing RRD.
struct RrdInfo {
  unsigned long step = 0;
  std::map<std::string, std::string> ds_types;  // "read" -> "ABSOLUTE"
};
RrdInfo read_rrd_info(const std::string& path);

// Feeds one interval's bytes at the current time (sub-second precision) through rrd_update_r with
// the template readwrite:read:write, so the DS order in the file does not matter.
void update_rrd(const std::string& path, const client::Traffic& interval);

// The binary unit (B, KiB, MiB, ...) in which `max_bytes_per_second` is below 1024, as every
// other smbta output counts; B for 0 and NaN.
struct BinaryUnit {
  const char* name;
  double divisor;
};
BinaryUnit binary_unit_for(double max_bytes_per_second);

// One rendered graph and its legend lines as librrd laid them out ("avg    12.5 MiB/s").
struct Graph {
  std::string file;
  std::vector<std::string> legends;
};

// Renders `<prefix>-hour.png`, `-day.png` and `-week.png` (write area with read stacked on top,
// per second, in the binary unit that fits each span's peak) with rrd_graph_v.
std::vector<Graph> render_graphs(const std::string& rrd, const std::string& prefix,
                                 const std::string& title);

}  // namespace smbta::realtime
