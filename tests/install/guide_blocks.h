// SPDX-License-Identifier: GPL-3.0-or-later
// The command blocks of docs/guide.md that are marked for the test that runs them.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace smbta::testing {

// Why: the guide's commands are what an administrator types; the test runs those very lines, so
// the guide cannot drift from what the install does. A block is a fenced code block right after a
// line "<!-- guide-test: NAME ... -->"; its commands are its lines without comments and blanks.
using GuideBlocks = std::map<std::string, std::vector<std::string>>;

// Throws std::runtime_error when the file cannot be read or a marked block is not closed.
GuideBlocks read_guide_blocks(const std::filesystem::path& guide);

}  // namespace smbta::testing
