// SPDX-License-Identifier: GPL-3.0-or-later
// The shared command line helpers: number messages, $HOME, the default config, key aliases.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "cli/config_aliases.h"
#include "cli/home.h"
#include "cli/parse_integer.h"
#include "cli/usage_error.h"
#include "smbta/ini_config.h"
#include "support/command_line.h"

namespace smbta::cli {
namespace {

std::string message_of(std::string_view text, std::int64_t lo, std::int64_t hi) {
  try {
    parse_integer(text, lo, hi, "-i/--port");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ParseInteger, AcceptsDecimalsInRange) {
  EXPECT_EQ(parse_integer("3491", 1, 65535, "x"), 3491);
  EXPECT_EQ(parse_integer("0", 0, 10, "x"), 0);
  EXPECT_EQ(parse_integer("-5", -10, 10, "x"), -5);
  EXPECT_EQ(parse_integer("1099511627776", 0, 1LL << 40, "x"), 1LL << 40);
}

TEST(ParseInteger, OneMessageForEveryFailure) {
  const std::string want = "-i/--port: expected a number from 1 to 65535, got '";
  for (const char* bad :
       {"", "0", "65536", "12x", " 12", "+12", "0x10", "1e3", "99999999999999999999"})
    EXPECT_EQ(message_of(bad, 1, 65535), want + bad + "'") << bad;
}

// HOME is process state: each test gets a private one, restored afterwards.
class Home : public ::testing::Test {
 protected:
  smbta::testing::TempHome home;
  const std::filesystem::path& dir_ = home.path();
};

TEST_F(Home, FallsBackToVarLibWithoutHome) {
  ::setenv("HOME", dir_.c_str(), 1);
  EXPECT_EQ(home_dir(), dir_.string());
  ::setenv("HOME", "", 1);
  EXPECT_EQ(home_dir(), "/var/lib") << "an empty HOME is no home";
  ::unsetenv("HOME");
  EXPECT_EQ(home_dir(), "/var/lib");
}

TEST_F(Home, DefaultConfigFileOnlyWhenItIsAFile) {
  ::setenv("HOME", dir_.c_str(), 1);
  EXPECT_EQ(default_config_file(), std::nullopt);
  const auto p = dir_ / ".smbtatools" / "smbtatools.config";
  std::filesystem::create_directories(p);  // a directory of that name is not a config file
  EXPECT_EQ(default_config_file(), std::nullopt);
  std::filesystem::remove(p);
  std::ofstream(p) << "[general]\n";
  EXPECT_EQ(default_config_file(), p.string());
}

TEST_F(Home, AliasesAreLookedUpInTheDocumentedOrder) {
  const auto p = dir_ / "c.conf";
  std::ofstream(p) << "[network]\nsmbta_host = c.example\nsmbta_host_name = b.example\n"
                      "smbtad_host_name = a.example\nsmbta_port_number = 2\n";
  const auto c = IniConfig::load(p.string());
  const auto host = smbtad_host(c);
  ASSERT_TRUE(host);
  EXPECT_EQ(host->key, "smbtad_host_name");
  EXPECT_EQ(host->value, "a.example");
  const auto port = smbtad_port(c);
  ASSERT_TRUE(port);
  EXPECT_EQ(port->key, "smbta_port_number") << "a later spelling when the first is absent";
  EXPECT_EQ(port->value, "2");
  EXPECT_EQ(first_present(c, "network", std::array<std::string_view, 1>{"nothing"}), std::nullopt);
}

}  // namespace
}  // namespace smbta::cli
