// SPDX-License-Identifier: GPL-3.0-or-later
#include "install/staging.h"

#include <regex>
#include <sstream>

namespace smbta::testing {

StagingRoot::StagingRoot(std::filesystem::path root, int module_port)
    : root_(std::move(root)), module_port_(module_port) {}

std::string StagingRoot::rewrite(std::string_view text) const {
  // A path starts a word (or follows '=' as in "HOME=/var/lib/smbtad").
  static const std::regex system_path(R"((^|[\s='"])(/(etc|usr|var|run)(/|\b)))");
  static const std::regex module_default(R"(\b3490\b)");
  static const std::regex client_default(R"(\b3491\b)");
  std::string s = std::regex_replace(std::string(text), system_path, "$1" + root_.string() + "$2");
  s = std::regex_replace(s, module_default, std::to_string(module_port_));
  return std::regex_replace(s, client_default, std::to_string(client_port()));
}

std::filesystem::path StagingRoot::operator/(const std::filesystem::path& path) const {
  return root_ / path.relative_path();
}

std::string unit_value(std::string_view unit, std::string_view key) {
  std::istringstream in{std::string(unit)};
  const std::string prefix = std::string(key) + "=";
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) return line.substr(prefix.size());
  return {};
}

std::vector<std::string> split_words(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

RunResult run_shell(const std::string& line, const std::filesystem::path& cwd,
                    std::vector<std::string> env, const std::filesystem::path& outdir,
                    const std::string& name) {
  const std::string script = "cd '" + cwd.string() + "' && " + line;
  return run({"bash", "-e", "-o", "pipefail", "-c", script},
             output_files(outdir, name, std::move(env)));
}

}  // namespace smbta::testing
