#include "common/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/scratch_dir.hpp"

namespace lbha {
namespace {

class atomic_file_test : public ::testing::Test {
 protected:
  test_support::scratch_dir scratch_{"atomic"};
  const std::filesystem::path dir_ = scratch_.path();
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

// The temp name before this change was `<file>.tmp.<pid>`; a symlink planted
// there (or at any name) must never be written through.
TEST_F(atomic_file_test, symlink_at_old_temp_name_is_not_followed) {
  auto victim = dir_ / "victim";
  ASSERT_TRUE(write_file_atomically(victim, "precious\n"));
  auto path = dir_ / "node.yaml";
  auto planted = path.string() + ".tmp." + std::to_string(::getpid());
  std::filesystem::create_symlink(victim, planted);
  ASSERT_TRUE(write_file_atomically(path, "new\n"));
  EXPECT_EQ(read_file(victim).value(), "precious\n");
  EXPECT_EQ(read_file(path).value(), "new\n");
  EXPECT_TRUE(std::filesystem::is_symlink(planted));
}

TEST_F(atomic_file_test, symlink_at_the_chosen_temp_name_is_refused_then_retried) {
  auto victim = dir_ / "victim";
  ASSERT_TRUE(write_file_atomically(victim, "precious\n"));
  auto path = dir_ / "node.yaml";
  // The first two names are taken (a symlink, then a file); the third is free.
  std::filesystem::create_symlink(victim, dir_ / ".node.yaml.tmp.0000000000000001");
  ASSERT_TRUE(write_file_atomically(dir_ / ".node.yaml.tmp.0000000000000002", "other\n"));
  int calls = 0;
  std::vector<std::string> suffixes{"0000000000000001", "0000000000000002", "0000000000000003"};
  auto r = detail::write_file_atomically(path, "new\n", 0640, [&] { return suffixes.at(calls++); });
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(read_file(victim).value(), "precious\n");
  EXPECT_EQ(read_file(path).value(), "new\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".node.yaml.tmp.0000000000000003"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(atomic_file_test, gives_up_when_every_name_is_taken) {
  auto victim = dir_ / "victim";
  ASSERT_TRUE(write_file_atomically(victim, "precious\n"));
  std::filesystem::create_symlink(victim, dir_ / ".x.tmp.00000000000000aa");
  auto r = detail::write_file_atomically(dir_ / "x", "new\n", 0644,
                                         [] { return std::string("00000000000000aa"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::file_exists);
  EXPECT_EQ(read_file(victim).value(), "precious\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x"));
}

TEST_F(atomic_file_test, temp_names_are_recognised) {
  EXPECT_TRUE(is_atomic_temp_name(".node.yaml.tmp.0123456789abcdef"));
  EXPECT_FALSE(is_atomic_temp_name("node.yaml.tmp.0123456789abcdef"));
  EXPECT_FALSE(is_atomic_temp_name(".node.yaml.tmp.0123456789abcde"));
  EXPECT_FALSE(is_atomic_temp_name(".node.yaml.tmp.0123456789ABCDEF"));
  EXPECT_FALSE(is_atomic_temp_name("node.yaml.tmp.1234"));
  EXPECT_FALSE(is_atomic_temp_name(".tmp.0123456789abcdef"));
}

TEST_F(atomic_file_test, stale_temps_are_removed_and_symlinks_left_alone) {
  auto victim = dir_ / "victim";
  ASSERT_TRUE(write_file_atomically(victim, "precious\n"));
  ASSERT_TRUE(write_file_atomically(dir_ / ".cluster.yaml.tmp.0123456789abcdef", "torn"));
  ASSERT_TRUE(write_file_atomically(dir_ / ".term.tmp.fedcba9876543210", "torn"));
  std::filesystem::create_symlink(victim, dir_ / ".victim.tmp.1111111111111111");
  std::filesystem::create_directory(dir_ / ".d.tmp.2222222222222222");
  ASSERT_TRUE(write_file_atomically(dir_ / "cluster.yaml.tmp.42", "not ours"));
  // Just written: maybe another daemon's write in progress, so kept by default.
  auto young = remove_stale_temps(dir_);
  ASSERT_TRUE(young) << young.error().message();
  EXPECT_EQ(young.value(), 0);
  auto removed = remove_stale_temps(dir_, std::chrono::seconds(0));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(removed.value(), 2);
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".cluster.yaml.tmp.0123456789abcdef"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".term.tmp.fedcba9876543210"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir_ / ".victim.tmp.1111111111111111"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / ".d.tmp.2222222222222222"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "cluster.yaml.tmp.42"));
  EXPECT_EQ(read_file(victim).value(), "precious\n");
}

TEST_F(atomic_file_test, mode_is_exact_for_every_mode) {
  const mode_t old = ::umask(077);
  for (mode_t mode : {0600u, 0640u, 0644u, 0755u}) {
    auto path = dir_ / ("f" + std::to_string(mode));
    ASSERT_TRUE(write_file_atomically(path, "x", mode));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, mode);
  }
  ::umask(old);
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
