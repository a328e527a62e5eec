// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad's start-up messages (usage errors, configuration errors and warnings, exit statuses)
// and where its log goes (--log-file, syslog).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "smbta/key_file.h"
#include "smbta/log.h"
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
             "colour = blue\n"
             "precision = 1\n");
  const auto r = run_smbtad({"-c", conf.string(), "-T"}, home_.path());
  EXPECT_EQ(r.status, 0) << "unknown keys are warnings, not errors\n" << r.output;
  const std::string c = conf.string();
  for (const std::string& want :
       {c + ":3: unknown key [general] precison, ignored (did you mean precision?)",
        c + ":6: [network] smbta_port_number is a key of the client tools",
        c + ":8: unknown key [database] colour, ignored\n",
        c + ":9: unknown key [database] precision, ignored (did you mean [general] precision?)"})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << "\n" << r.output;
  EXPECT_EQ(r.output.find("port_number,"), std::string::npos) << "a known key (any case) is quiet";
  EXPECT_EQ(r.output.find("Port_Number"), std::string::npos) << r.output;
}

// Why: a daemonized smbtad is no child of the test; it is found by its pid file and never left
// running, whatever the test's outcome.
class DaemonByPidFile {
 public:
  explicit DaemonByPidFile(std::filesystem::path pid_file) : pid_file_(std::move(pid_file)) {}
  ~DaemonByPidFile() {
    if (const pid_t p = pid(); p > 0) ::kill(p, SIGKILL);
  }
  pid_t pid() const {
    const std::string text = smbta::testing::read_file(pid_file_);
    return text.empty() ? -1 : static_cast<pid_t>(std::stol(text));
  }

 private:
  std::filesystem::path pid_file_;
};

TEST_F(Startup, TheLogFileIsPrivateAndReopenedOnSighup) {
  const auto dir = home_.path() / "log";
  std::filesystem::create_directory(dir);
  const auto log_file = dir / "smbtad.log";
  const int port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-U", "0", "--log-file", log_file.string()},
                       home_.path(), port);
  auto file_has = [&](const std::filesystem::path& p, std::string_view what) {
    return smbta::testing::read_file(p).find(what) != std::string::npos;
  };
  ASSERT_TRUE(eventually([&] { return file_has(log_file, "listening for modules"); }))
      << smbtad.log();
  struct stat st {};
  ASSERT_EQ(::stat(log_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Until it has started, the terminal sees the messages too; afterwards only the file.
  EXPECT_NE(smbtad.log().find("listening for modules"), std::string::npos) << smbtad.log();
  {
    auto fd = connect_module(port);
    send_all(fd.get(), "V1,4096,\"x\"\n");
  }
  EXPECT_TRUE(eventually([&] { return file_has(log_file, "protocol V1 is not supported"); }));
  EXPECT_EQ(smbtad.log().find("protocol V1"), std::string::npos) << smbtad.log();
  // logrotate: the file is renamed, smbtad gets SIGHUP and writes a new one.
  const auto rotated = dir / "smbtad.log.1";
  std::filesystem::rename(log_file, rotated);
  ::kill(smbtad.pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] { return file_has(log_file, "SIGHUP: log reopened"); }));
  EXPECT_FALSE(file_has(rotated, "SIGHUP"));
  ASSERT_EQ(::stat(log_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(smbtad.stop(), 0);
  EXPECT_TRUE(file_has(log_file, "stopped:"));
}

TEST_F(Startup, ALogFileThatCannotBeOpenedIsAConfigurationError) {
  const auto missing = home_.path() / "no" / "such" / "smbtad.log";
  const std::string port = std::to_string(free_port());
  auto r = run_smbtad({"-o", "-U", "0", "-i", port, "--log-file", missing.string()}, home_.path());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--log-file: log file " + missing.string() + ": the directory " +
                          missing.parent_path().string() + "/ does not exist"),
            std::string::npos)
      << r.output;
  const auto conf = home_.path() / "smbtad.conf";
  write_file(conf, "[general]\nlog_file = " + home_.path().string() + "\n");
  r = run_smbtad({"-o", "-U", "0", "-i", port, "-c", conf.string()}, home_.path());
  EXPECT_EQ(r.status, 2) << "a directory is no log file\n" << r.output;
}

TEST_F(Startup, ADaemonizedSmbtadLogsToItsLogFile) {
  const auto log_file = home_.path() / "smbtad.log";
  const auto pid_file = home_.path() / "smbtad.pid";
  DaemonByPidFile daemon(pid_file);
  const int port = free_port();
  const auto r = run_smbtad({"-i", std::to_string(port), "-U", "0", "--log-file", log_file.string(),
                             "--pid-file", pid_file.string()},
                            home_.path());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find("syslog is not available"), std::string::npos) << r.output;
  auto logged = [&](std::string_view what) {
    return smbta::testing::read_file(log_file).find(what) != std::string::npos;
  };
  ASSERT_TRUE(eventually([&] { return daemon.pid() > 0 && logged("started"); }))
      << smbta::testing::read_file(log_file);
  {
    auto fd = connect_module(port);
    send_all(fd.get(), "V1,4096,\"x\"\n");
  }
  EXPECT_TRUE(eventually([&] { return logged("protocol V1 is not supported"); }))
      << smbta::testing::read_file(log_file);
  ::kill(daemon.pid(), SIGTERM);
  // Its pid file goes last (the exited daemon may stay a zombie: init need not reap it).
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(pid_file); }));
  EXPECT_TRUE(logged("stopped:")) << smbta::testing::read_file(log_file);
}

TEST_F(Startup, WithoutSyslogOrLogFileTheLossIsSaidBeforeDaemonizing) {
  std::string reason;
  if (smbta::log::syslog_available(reason)) GTEST_SKIP() << "syslog is available here";
  const auto pid_file = home_.path() / "smbtad.pid";
  DaemonByPidFile daemon(pid_file);
  const int port = free_port();
  const auto r = run_smbtad(
      {"-i", std::to_string(port), "-U", "0", "--pid-file", pid_file.string()}, home_.path());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("syslog is not available (/dev/log: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("give --log-file FILE"), std::string::npos) << r.output;
  ASSERT_TRUE(eventually([&] { return daemon.pid() > 0; }));
  ::kill(daemon.pid(), SIGTERM);
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(pid_file); }));
}

TEST_F(Startup, TheModuleSocketsDirectoryIsCreatedAndAnUntrustedPlaceIsWarnedAbout) {
  const auto help = run_smbtad({"--help"}, home_.path());
  EXPECT_NE(help.output.find("default /run/smbtad/stadsocket"), std::string::npos) << help.output;
  // A missing directory is created 0755 (as /run/smbtad after boot).
  const auto sock = home_.path() / "run" / "stadsocket";
  int port = free_port();
  {
    SmbtadProcess smbtad(
        {"-u", "--unix-socket-path", sock.string(), "-i", std::to_string(port), "-U", "0"},
        home_.path(), port, sock.string());
    struct stat st {};
    ASSERT_EQ(::stat(sock.parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(smbtad.log().find("will refuse"), std::string::npos) << smbtad.log();
    EXPECT_EQ(smbtad.stop(), 0);
  }
  // A directory anyone can write to: the modules would refuse it, and smbtad says so.
  const auto open_dir = home_.path() / "open";
  std::filesystem::create_directory(open_dir);
  ::chmod(open_dir.c_str(), 0777);
  const auto open_sock = open_dir / "stadsocket";
  port = free_port();
  SmbtadProcess smbtad(
      {"-u", "--unix-socket-path", open_sock.string(), "-i", std::to_string(port), "-U", "0"},
      home_.path(), port, open_sock.string());
  EXPECT_NE(smbtad.log().find("smb_traffic_analyzer modules will refuse the socket " +
                              open_sock.string() + ": " + open_dir.string() +
                              ": a directory writable by others without the sticky bit"),
            std::string::npos)
      << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
}

}  // namespace
}  // namespace smbtad::testing
