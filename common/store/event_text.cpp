// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/event_text.h"

#include <charconv>
#include <cstdint>
#include <optional>

namespace smbta::store {
namespace {

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

}  // namespace

void append_event_values(std::string& out, const EventColumns& c, char separator,
                         std::string_view null_text) {
  const auto opt = [&](const std::optional<std::int64_t>& v) {
    out += separator;
    if (v)
      append_int(out, *v);
    else
      out += null_text;
  };
  append_int(out, c.ts);
  for (std::int64_t v : {std::int64_t{c.vfs_id}, c.user_id, c.share_id, c.file_id}) {
    out += separator;
    append_int(out, v);
  }
  for (const auto& v : {c.file2_id, c.length, c.mode, c.result}) opt(v);
  out += separator;
  append_int(out, c.merged);
  opt(c.client_id);
  opt(c.latency_us);
}

}  // namespace smbta::store
