// SPDX-License-Identifier: GPL-3.0-or-later
#include "rrd_file.h"

#include <fmt/format.h>
#include <rrd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <sstream>

namespace smbta::realtime {
namespace {

// Why: librrd returns heap lists that must go back through rrd_info_free on every path.
struct InfoDeleter {
  void operator()(rrd_info_t* p) const { rrd_info_free(p); }
};
using InfoPtr = std::unique_ptr<rrd_info_t, InfoDeleter>;

[[noreturn]] void throw_rrd(const std::string& what) {
  const char* e = rrd_get_error();
  std::string msg = what + ": " + (e != nullptr && *e != '\0' ? e : "unknown librrd error");
  rrd_clear_error();
  throw RrdError(msg);
}

// librrd takes char** / const char** argument vectors; these keep the strings alive.
struct Argv {
  std::vector<std::string> words;
  std::vector<const char*> ptrs;
  const char** get() {
    ptrs.clear();
    for (const auto& w : words) ptrs.push_back(w.c_str());
    ptrs.push_back(nullptr);
    return ptrs.data();
  }
  int argc() const { return static_cast<int>(words.size()); }
};

// DEF takes the file name up to the next ':', so colons in it must be escaped.
std::string escape_colons(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string default_rrd_setup(int step) {
  const int heartbeat = std::max(3 * step, 60);
  std::string s;
  for (const char* ds : {"readwrite", "read", "write"})
    s += fmt::format("DS:{}:ABSOLUTE:{}:0:U ", ds, heartbeat);
  const auto rra = [&](int seconds_per_row, long span) {
    const int pdps = std::max(1, seconds_per_row / step);
    const long rows = span / (static_cast<long>(pdps) * step) + 1;
    return fmt::format("RRA:AVERAGE:0.5:{}:{}", pdps, rows);
  };
  s += rra(step, 86400L) + " " + rra(300, 35L * 86400) + " " + rra(3600, 2L * 366 * 86400);
  return s;
}

bool create_rrd_if_missing(const std::string& path, int step, const std::string& setup) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return false;
  Argv defs;
  std::istringstream in(setup);
  for (std::string w; in >> w;) defs.words.push_back(w);
  if (defs.words.empty()) throw RrdError("the RRD setup string is empty");
  rrd_clear_error();
  // Start one step back so that the first update, one step from now, is already in range.
  if (rrd_create_r(path.c_str(), static_cast<unsigned long>(step), std::time(nullptr) - step,
                   defs.argc(), defs.get()) != 0)
    throw_rrd("creating " + path);
  return true;
}

RrdInfo read_rrd_info(const std::string& path) {
  rrd_clear_error();
  InfoPtr info(rrd_info_r(path.c_str()));
  if (!info) throw_rrd("reading " + path);
  RrdInfo out;
  for (const rrd_info_t* i = info.get(); i != nullptr; i = i->next) {
    const std::string_view key = i->key;
    if (key == "step" && i->type == RD_I_CNT) out.step = i->value.u_cnt;
    // ds[read].type = "ABSOLUTE"
    if (key.starts_with("ds[") && key.ends_with("].type") && i->type == RD_I_STR)
      out.ds_types[std::string(key.substr(3, key.size() - 3 - 6))] = i->value.u_str;
  }
  return out;
}

void update_rrd(const std::string& path, const client::Traffic& t) {
  Argv a;
  a.words.push_back(fmt::format("N:{}:{}:{}", t.rw(), t.read, t.write));
  rrd_clear_error();
  if (rrd_update_r(path.c_str(), "readwrite:read:write", a.argc(), a.get()) != 0)
    throw_rrd("updating " + path);
}

BinaryUnit binary_unit_for(double max_bytes_per_second) {
  static constexpr const char* kNames[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  BinaryUnit u{kNames[0], 1.0};
  if (!(max_bytes_per_second > 0)) return u;  // also NaN: an RRD without data yet
  for (std::size_t i = 1; i < std::size(kNames) && max_bytes_per_second >= 1024.0 * u.divisor; ++i)
    u = BinaryUnit{kNames[i], u.divisor * 1024.0};
  return u;
}

namespace {

// librrd's own "%s" prefixes are SI letters ("M") even with --base 1024, so the graph is drawn
// in one binary unit chosen from the span's peak: first the peak alone (a graph of PRINT
// statements only renders no image), then the graph scaled to that unit.
double peak_rate(const std::vector<std::string>& defs) {
  Argv a;
  a.words = {"graph", "/dev/null"};
  a.words.insert(a.words.end(), defs.begin(), defs.end());
  a.words.insert(a.words.end(),
                 {"CDEF:peak_sum=rs,ws,ADDNAN", "VDEF:peak=peak_sum,MAXIMUM", "PRINT:peak:%.3lf"});
  rrd_clear_error();
  InfoPtr result(rrd_graph_v(a.argc(), const_cast<char**>(a.get())));
  if (!result) throw_rrd("reading the peak rate");
  for (const rrd_info_t* i = result.get(); i != nullptr; i = i->next)
    if (std::string_view(i->key) == "print[0]" && i->type == RD_I_STR)
      return std::strtod(i->value.u_str, nullptr);
  return 0;
}

}  // namespace

std::vector<Graph> render_graphs(const std::string& rrd, const std::string& prefix,
                                 const std::string& title) {
  const RrdInfo info = read_rrd_info(rrd);
  for (const char* ds : {"read", "write"})
    if (!info.ds_types.contains(ds))
      throw RrdError(rrd + " has no data source '" + ds +
                     "' (rrddriver's are readwrite, read, write)");
  const std::string file = escape_colons(rrd);
  struct Span {
    const char* name;
    long seconds;
  };
  std::vector<Graph> written;
  for (const Span& span : {Span{"hour", 3600}, Span{"day", 86400}, Span{"week", 7 * 86400}}) {
    const std::string out = prefix + "-" + span.name + ".png";
    const std::vector<std::string> range = {"--start", fmt::format("end-{}", span.seconds), "--end",
                                            "now"};
    // Bytes per second: 1.2.x stored bytes per interval in GAUGE data sources, so those are
    // divided by the step.
    std::vector<std::string> defs = {fmt::format("DEF:r={}:read:AVERAGE", file),
                                     fmt::format("DEF:w={}:write:AVERAGE", file)};
    const auto rate = [&](const char* in, const char* ds, const char* out_name) {
      if (info.ds_types.at(ds) == "GAUGE")
        defs.push_back(fmt::format("CDEF:{}={},{},/", out_name, in, info.step));
      else
        defs.push_back(fmt::format("CDEF:{}={}", out_name, in));
    };
    rate("r", "read", "rs");
    rate("w", "write", "ws");
    std::vector<std::string> peak_args = range;
    peak_args.insert(peak_args.end(), defs.begin(), defs.end());
    const BinaryUnit unit = binary_unit_for(peak_rate(peak_args));

    Argv a;
    a.words = {"graph", out, "--imgformat", "PNG"};
    a.words.insert(a.words.end(), range.begin(), range.end());
    a.words.insert(a.words.end(),
                   {"--width", "700", "--height", "220", "--lower-limit", "0",
                    // Plain numbers on the axis: the unit is in the label.
                    "--units-exponent", "0", "--vertical-label", fmt::format("{}/s", unit.name),
                    "--title", fmt::format("{} - last {}", title, span.name)});
    a.words.insert(a.words.end(), defs.begin(), defs.end());
    a.words.push_back(fmt::format("CDEF:wu=ws,{},/", unit.divisor));
    a.words.push_back(fmt::format("CDEF:ru=rs,{},/", unit.divisor));
    const std::string avg = fmt::format("avg %8.1lf {}/s", unit.name);
    const std::string max = fmt::format("max %8.1lf {}/s\\n", unit.name);
    a.words.insert(
        a.words.end(),
        {"VDEF:wavg=wu,AVERAGE", "VDEF:wmax=wu,MAXIMUM", "VDEF:ravg=ru,AVERAGE",
         "VDEF:rmax=ru,MAXIMUM", "AREA:wu#AA0000:Write", "GPRINT:wavg:" + avg, "GPRINT:wmax:" + max,
         "AREA:ru#AA9999:Read :STACK", "GPRINT:ravg:" + avg, "GPRINT:rmax:" + max});
    rrd_clear_error();
    // rrd_graph_v wants a mutable argv; the strings in `a` outlive the call.
    InfoPtr result(rrd_graph_v(a.argc(), const_cast<char**>(a.get())));
    if (!result) throw_rrd("graphing " + out);
    Graph g{out, {}};
    for (const rrd_info_t* i = result.get(); i != nullptr; i = i->next)
      if (std::string_view(i->key).starts_with("legend[") && i->type == RD_I_STR)
        g.legends.emplace_back(i->value.u_str);
    written.push_back(std::move(g));
  }
  return written;
}

}  // namespace smbta::realtime
