// SPDX-License-Identifier: GPL-3.0-or-later
#include "install/guide_blocks.h"

#include <regex>
#include <sstream>
#include <stdexcept>

#include "support/files.h"

namespace smbta::testing {
namespace {

// "cmd   # comment" -> "cmd": the guide's comments explain, they are not part of the command. A
// '#' inside quotes (none today) would need a real shell parser; the commands avoid it.
std::string strip_comment(const std::string& line) {
  static const std::regex comment(R"(\s+#.*$)");
  std::string s = std::regex_replace(line, comment, "");
  const auto first = s.find_first_not_of(" \t");
  return first == std::string::npos ? "" : s.substr(first);
}

}  // namespace

GuideBlocks read_guide_blocks(const std::filesystem::path& guide) {
  const std::string text = read_file(guide);
  if (text.empty()) throw std::runtime_error("cannot read " + guide.string());
  static const std::regex marker(R"(^<!-- guide-test: ([a-z-]+)\b.*-->\s*$)");
  GuideBlocks blocks;
  std::istringstream in(text);
  std::string line, name;
  enum { kText, kFenceNext, kInBlock } state = kText;
  while (std::getline(in, line)) {
    std::smatch m;
    if (state == kText && std::regex_match(line, m, marker)) {
      name = m[1];
      blocks[name];  // present even if empty: an empty block is the test's failure to report
      state = kFenceNext;
    } else if (state == kFenceNext) {
      if (!line.starts_with("```"))
        throw std::runtime_error("guide-test block " + name + ": no ``` line after its marker");
      state = kInBlock;
    } else if (state == kInBlock) {
      if (line.starts_with("```")) {
        state = kText;
        continue;
      }
      if (auto cmd = strip_comment(line); !cmd.empty() && !cmd.starts_with("#"))
        blocks[name].push_back(cmd);
    }
  }
  if (state != kText) throw std::runtime_error("guide-test block " + name + " is not closed");
  return blocks;
}

}  // namespace smbta::testing
