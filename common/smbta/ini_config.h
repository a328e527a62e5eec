// SPDX-License-Identifier: GPL-3.0-or-later
// Read-only access to an ini configuration file (smbtad.conf, smbtatools.conf) via iniparser.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct _dictionary_;

namespace smbta {

// Why: smbtad.conf is the format of iniparser 3 (sections, case-insensitive keys, `#`/`;`
// comments, quoted values); Debian's libiniparser reads it, so smbta does not parse ini by hand.
class IniConfig {
 public:
  // Throws std::runtime_error naming the file when it cannot be read or parsed (the original
  // silently ignored a missing file; a typo in -c then went unnoticed).
  static IniConfig load(const std::string& path);

  std::optional<std::string> get(std::string_view section, std::string_view key) const;
  bool has(std::string_view section, std::string_view key) const;
  // A boolean that is false for "no", "false", "0", "off" (the original enabled a switch when the
  // key was merely present, so `unix_domain_socket = no` turned it on). Throws on other words.
  std::optional<bool> get_bool(std::string_view section, std::string_view key) const;
  const std::string& path() const { return path_; }

  // Why: a program warns about keys it does not know (a misspelled key is otherwise silently
  // ignored), naming the key's line.
  struct Entry {
    std::string section;  // lower case; empty for a key before the first section
    std::string key;      // lower case
    int line = 0;         // 1-based line of its first definition; 0 if it could not be told
  };
  // Every key of the file, in file order.
  std::vector<Entry> entries() const;

 private:
  struct Deleter {
    void operator()(_dictionary_* d) const;
  };
  IniConfig(std::string path, _dictionary_* d);
  std::string path_;
  std::unique_ptr<_dictionary_, Deleter> dict_;
};

}  // namespace smbta
