// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/ini_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace smbta {
namespace {

std::string write_temp(std::string_view name, std::string_view content) {
  const auto p =
      std::filesystem::temp_directory_path() / (std::string(name) + std::to_string(::getpid()));
  std::ofstream(p) << content;
  return p.string();
}

TEST(IniConfig, ReadsTheSmbtadConfFormat) {
  const auto p = write_temp("smbtad.conf", R"(# smbtad example
[General]
Debug_Level = 3
precision = 0
[network]
port_number = 3490
unix_domain_socket = no
[database]
driver = sqlite3
password = "se;cr#et"
name = /var/lib/smbtad/staddb ; trailing comment
[maintenance]
config = 14,00:00:00
)");
  const IniConfig c = IniConfig::load(p);
  EXPECT_EQ(c.get("general", "debug_level"), "3");
  EXPECT_EQ(c.get("GENERAL", "Precision"), "0");
  EXPECT_EQ(c.get("network", "port_number"), "3490");
  EXPECT_EQ(c.get_bool("network", "unix_domain_socket"), false);
  EXPECT_EQ(c.get("database", "password"), "se;cr#et");
  EXPECT_EQ(c.get("database", "name"), "/var/lib/smbtad/staddb");
  EXPECT_EQ(c.get("maintenance", "config"), "14,00:00:00");
  EXPECT_FALSE(c.get("maintenance", "interval").has_value());
  EXPECT_TRUE(c.has("network", "port_number"));
  std::filesystem::remove(p);
}

TEST(IniConfig, MissingFileIsAnError) {
  EXPECT_THROW(IniConfig::load("/nonexistent/smbtad.conf"), std::runtime_error);
}

TEST(IniConfig, BadBooleanIsAnError) {
  const auto p = write_temp("bool.conf", "[network]\nunix_domain_socket = maybe\n");
  const IniConfig c = IniConfig::load(p);
  EXPECT_THROW(c.get_bool("network", "unix_domain_socket"), std::runtime_error);
  std::filesystem::remove(p);
}

TEST(IniConfig, SyntaxErrorIsReported) {
  const auto p = write_temp("broken.conf", "[network\nport_number = 3490\n");
  EXPECT_THROW(IniConfig::load(p), std::runtime_error);
  std::filesystem::remove(p);
}

}  // namespace
}  // namespace smbta
