// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad's start-up messages: usage errors, configuration errors and warnings, exit statuses.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "smbta/key_file.h"
#include "support/smbtad_process.h"

namespace smbtad::testing {
namespace {

using smbta::testing::write_file;

class Startup : public ::testing::Test {
 protected:
  TempDir home_;
};

std::size_t lines_of(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST_F(Startup, AUsageErrorIsOneLineAndPointsToHelp) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--bogus"}, {"-i", "70000"}, {"-p"}, {"--module-listeners", "udp"}}) {
    const auto r = run_smbtad(args, home_.path());
    EXPECT_EQ(r.status, 2) << args[0];
    EXPECT_NE(r.output.find("Try 'smbtad --help'."), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("Usage:"), std::string::npos) << "no help after an error:\n"
                                                          << r.output;
    EXPECT_EQ(lines_of(r.output), 2u) << r.output;
  }
}

TEST_F(Startup, KeyFileErrorsAreConfigurationErrors) {
  const auto short_key = home_.path() / "short.key";
  write_file(short_key, "tooshort\n");
  ::chmod(short_key.c_str(), 0600);
  const auto open_key = home_.path() / "open.key";
  smbta::create_key_file(open_key.string());
  ::chmod(open_key.c_str(), 0644);
  const std::string port = std::to_string(free_port());
  for (const auto& [opt, file] : std::vector<std::pair<std::string, std::string>>{
           {"-k", short_key.string()},
           {"-K", open_key.string()},
           {"-k", (home_.path() / "missing.key").string()}}) {
    const auto r = run_smbtad({"-o", "-U", "0", "-i", port, opt, file}, home_.path());
    EXPECT_EQ(r.status, 2) << opt << " " << file << "\n" << r.output;
    EXPECT_NE(r.output.find(file), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(opt == "-k" ? "-k/--keyfile" : "-K/--key-file-clients"),
              std::string::npos)
        << r.output;
  }
}

TEST_F(Startup, APrecisionThatLooksLikeAPortIsWarnedAbout) {
  const int port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-U", "0", "-p", "3491"}, home_.path(), port);
  EXPECT_NE(smbtad.log().find("-p/--precision 3491: read and write records are merged over 58 "
                              "minutes; -p is the precision in seconds, not a port"),
            std::string::npos)
      << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
  const int port2 = free_port();
  SmbtadProcess quiet({"-i", std::to_string(port2), "-U", "0", "-p", "600"}, home_.path(), port2);
  EXPECT_EQ(quiet.log().find("not a port"), std::string::npos) << quiet.log();
  EXPECT_EQ(quiet.stop(), 0);
}

TEST_F(Startup, AConfigPathThatIsADirectoryIsAnError) {
  const auto r = run_smbtad({"-c", home_.path().string(), "-T"}, home_.path());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(home_.path().string() + ": is a directory"), std::string::npos)
      << r.output;
}

TEST_F(Startup, UnknownConfigKeysAreWarnedAboutWithFileAndLine) {
  const auto conf = home_.path() / "smbtad.conf";
  write_file(conf,
             "# smbtad\n"
             "[general]\n"
             "precison = 0\n"
             "[network]\n"
             "Port_Number = 4000\n"
             "smbta_port_number = 4001\n"
             "[database]\n"
             "colour = blue\n");
  const auto r = run_smbtad({"-c", conf.string(), "-T"}, home_.path());
  EXPECT_EQ(r.status, 0) << "unknown keys are warnings, not errors\n" << r.output;
  const std::string c = conf.string();
  for (const std::string& want :
       {c + ":3: unknown key [general] precison, ignored (did you mean precision?)",
        c + ":6: [network] smbta_port_number is a key of the client tools",
        c + ":8: unknown key [database] colour, ignored"})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << "\n" << r.output;
  EXPECT_EQ(r.output.find("port_number,"), std::string::npos) << "a known key (any case) is quiet";
  EXPECT_EQ(r.output.find("Port_Number"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace smbtad::testing
