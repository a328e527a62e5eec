// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/ini_config.h"

#include <iniparser/iniparser.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>

namespace smbta {
namespace {

// iniparser reports syntax errors through a process-wide callback; collect them per load.
std::mutex g_error_mutex;
std::string* g_errors = nullptr;

int collect_error(const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  const int n = std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  if (g_errors != nullptr) g_errors->append(buf);
  return n;
}

std::string entry(std::string_view section, std::string_view key) {
  std::string e;
  e.reserve(section.size() + key.size() + 1);
  e.append(section).append(":").append(key);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// "section:key" -> the line that first defines it. Only for messages: iniparser does the
// parsing, this merely finds where a key it returned was written.
std::map<std::string, int> key_lines(const std::string& path) {
  std::map<std::string, int> lines;
  std::ifstream in(path);
  std::string line, section;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      const auto close = t.find(']');
      if (close != std::string::npos)
        section = lower(trim(std::string_view(t).substr(1, close - 1)));
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    lines.emplace(section + ":" + lower(trim(std::string_view(t).substr(0, eq))), n);
  }
  return lines;
}

}  // namespace

void IniConfig::Deleter::operator()(_dictionary_* d) const {
  iniparser_freedict(d);
}

IniConfig::IniConfig(std::string path, _dictionary_* d) : path_(std::move(path)), dict_(d) {}

IniConfig IniConfig::load(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0)
    throw std::runtime_error("config file " + path + ": " + std::strerror(errno));
  // iniparser reads a directory as an empty file: every setting would silently be the default.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw std::runtime_error("config file " + path + ": " +
                             (S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file"));
  std::string errors;
  dictionary* d = nullptr;
  {
    std::lock_guard lock(g_error_mutex);
    g_errors = &errors;
    iniparser_set_error_callback(collect_error);
    d = iniparser_load(path.c_str());
    iniparser_set_error_callback(nullptr);
    g_errors = nullptr;
  }
  if (d == nullptr || !errors.empty()) {
    if (d != nullptr) iniparser_freedict(d);
    while (!errors.empty() && errors.back() == '\n') errors.pop_back();
    throw std::runtime_error("config file " + path + ": " +
                             (errors.empty() ? std::string("cannot be parsed") : errors));
  }
  return IniConfig(path, d);
}

std::optional<std::string> IniConfig::get(std::string_view section, std::string_view key) const {
  const std::string e = entry(section, key);
  const char* v = iniparser_getstring(dict_.get(), e.c_str(), nullptr);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::vector<IniConfig::Entry> IniConfig::entries() const {
  const auto lines = key_lines(path_);
  std::vector<Entry> out;
  const dictionary* d = dict_.get();
  // The type of size is ssize_t in iniparser 4.1 (Debian 12), size_t in 4.2 (Debian 13).
  for (decltype(d->size) i = 0; i < d->size; ++i) {
    if (d->key[i] == nullptr) continue;
    const std::string_view k = d->key[i];
    const auto colon = k.find(':');
    if (colon == std::string_view::npos) continue;  // a section's own entry
    Entry e{std::string(k.substr(0, colon)), std::string(k.substr(colon + 1)), 0};
    if (auto it = lines.find(std::string(k)); it != lines.end()) e.line = it->second;
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entry& a, const Entry& b) { return a.line < b.line; });
  return out;
}

bool IniConfig::has(std::string_view section, std::string_view key) const {
  return iniparser_find_entry(dict_.get(), entry(section, key).c_str()) != 0;
}

std::optional<bool> IniConfig::get_bool(std::string_view section, std::string_view key) const {
  auto v = get(section, key);
  if (!v) return std::nullopt;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s.empty() || s == "yes" || s == "true" || s == "1" || s == "on") return true;
  if (s == "no" || s == "false" || s == "0" || s == "off") return false;
  throw std::runtime_error("config file " + path_ + ": " + std::string(section) + ":" +
                           std::string(key) + " must be yes or no, not \"" + *v + "\"");
}

}  // namespace smbta
