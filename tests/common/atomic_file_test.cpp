#include "common/atomic_file.hpp"

#include <filesystem>
#include <sys/stat.h>

#include <gtest/gtest.h>

namespace lbha {
namespace {

class atomic_file_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lbha-atomic-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(atomic_file_test, writes_and_replaces_whole_content) {
  auto path = dir_ / "cluster.yaml";
  ASSERT_TRUE(write_file_atomically(path, "generation: 1\n"));
  ASSERT_TRUE(write_file_atomically(path, "generation: 2\n"));
  auto content = read_file(path);
  ASSERT_TRUE(content);
  EXPECT_EQ(content.value(), "generation: 2\n");
  // No temp file is left beside it.
  int files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(atomic_file_test, applies_mode_exactly_despite_umask) {
  auto path = dir_ / "heartbeat.key";
  ASSERT_TRUE(write_file_atomically(path, "secret", 0600));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(atomic_file_test, missing_directory_is_an_error_and_leaves_nothing) {
  auto path = dir_ / "no-such-dir" / "x";
  auto r = write_file_atomically(path, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
}

TEST_F(atomic_file_test, read_missing_file_is_an_error) {
  auto r = read_file(dir_ / "absent");
  ASSERT_FALSE(r);
}

}  // namespace
}  // namespace lbha
