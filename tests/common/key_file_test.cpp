// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/key_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace smbta {
namespace {

class KeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("smbta-key-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(std::string_view content, mode_t mode) {
    const auto p = (dir_ / "key").string();
    std::ofstream(p) << content;
    ::chmod(p.c_str(), mode);
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(KeyFile, LoadsSixteenCharactersWithOrWithoutNewline) {
  const AesKey k = load_key_file(write("0123456789abcdef\n", 0600));
  EXPECT_EQ(std::string(k.begin(), k.end()), "0123456789abcdef");
  std::filesystem::remove(dir_ / "key");
  EXPECT_NO_THROW(load_key_file(write("0123456789abcdef", 0400)));
}

TEST_F(KeyFile, RefusesAKeyOthersCanRead) {
  try {
    load_key_file(write("0123456789abcdef", 0644));
    FAIL() << "a world-readable key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
}

TEST_F(KeyFile, RefusesWrongLength) {
  EXPECT_THROW(load_key_file(write("0123456789abcde", 0600)), std::runtime_error);
  std::filesystem::remove(dir_ / "key");
  EXPECT_THROW(load_key_file(write("0123456789abcdefX", 0600)), std::runtime_error);
}

TEST_F(KeyFile, MissingFileNamesThePath) {
  try {
    load_key_file((dir_ / "nope").string());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST_F(KeyFile, CreatedKeyIsPrivateRandomAndLoadsBack) {
  const auto p = (dir_ / "new").string();
  const AesKey k = create_key_file(p);
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_key_file(p), k);
  for (auto c : k) EXPECT_TRUE(std::isalnum(c));
  EXPECT_THROW(create_key_file(p), std::runtime_error) << "must not overwrite";
  const AesKey k2 = create_key_file((dir_ / "other").string());
  EXPECT_NE(k, k2);
}

}  // namespace
}  // namespace smbta
