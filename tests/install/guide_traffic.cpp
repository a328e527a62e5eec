// SPDX-License-Identifier: GPL-3.0-or-later
#include "install/guide_traffic.h"

#include <string>

#include "smbta/timestamp.h"
#include "support/test_records.h"

namespace smbta::testing {

std::vector<Record> guide_traffic() {
  const std::int64_t now = local_now_ms();
  auto record = [&](Op op, const std::string& user, const std::string& sid,
                    const std::string& share, const std::string& path, std::uint64_t length) {
    Record r = example_record(op, user, share, path, length);
    r.sid = sid;
    r.domain = "EXAMPLE";
    r.timestamp_ms = now;
    return r;
  };
  const std::string holger = "S-1-5-21-1004336348-1177238915-682003330-1001";
  const std::string anna = "S-1-5-21-1004336348-1177238915-682003330-1002";
  const std::string bert = "S-1-5-21-1004336348-1177238915-682003330-1003";
  const std::uint64_t mib = 1 << 20;
  return {
      record(Op::kOpen, "holger", holger, "data", "projects/plan.odt", 0),
      record(Op::kPread, "holger", holger, "data", "projects/plan.odt", 3 * mib),
      record(Op::kPwrite, "holger", holger, "data", "projects/plan.odt", mib),
      record(Op::kClose, "holger", holger, "data", "projects/plan.odt", 0),
      record(Op::kPwrite, "anna", anna, "data", "reports/q4.ods", 2 * mib),
      record(Op::kPread, "bert", bert, "scratch", "tmp/build.log", mib / 2),
  };
}

}  // namespace smbta::testing
