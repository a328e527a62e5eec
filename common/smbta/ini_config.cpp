// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/ini_config.h"

#include <iniparser/iniparser.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
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

}  // namespace

void IniConfig::Deleter::operator()(_dictionary_* d) const {
  iniparser_freedict(d);
}

IniConfig::IniConfig(std::string path, _dictionary_* d) : path_(std::move(path)), dict_(d) {}

IniConfig IniConfig::load(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0)
    throw std::runtime_error("config file " + path + ": " + std::strerror(errno));
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
