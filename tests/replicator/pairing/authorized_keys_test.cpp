#include "replicator/pairing/authorized_keys.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/atomic_file.hpp"
#include "test_support.hpp"

namespace lbha::pairing {
namespace {

const std::string key_a = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const std::string key_b = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const std::string operator_line = "ssh-rsa AAAAB3NzaOperatorKey admin@laptop";

TEST(authorized_keys, forced_line_restricts_everything) {
  auto line = forced_key_line("/usr/bin/lbha-receive-config --restricted", key_a + " comment",
                              "c1", "lb1");
  ASSERT_TRUE(line) << line.error();
  EXPECT_EQ(line.value(), "restrict,command=\"/usr/bin/lbha-receive-config --restricted\" " +
                             key_a + " lbha-pair:c1:lb1");
}

TEST(authorized_keys, forced_line_limits_the_key_to_the_primarys_addresses) {
  auto line = forced_key_line("cmd", key_a, "c1", "lb1",
                              {"192.0.2.1", "2001:db8::1", "192.0.2.1", "198.51.100.1"});
  ASSERT_TRUE(line) << line.error();
  EXPECT_EQ(line.value(), "restrict,command=\"cmd\",from=\"192.0.2.1,2001:db8::1,198.51.100.1\" " +
                              key_a + " lbha-pair:c1:lb1");
  // Anything but an address literal could widen or break the pattern list.
  EXPECT_FALSE(forced_key_line("cmd", key_a, "c1", "lb1", {"*"}));
  EXPECT_FALSE(forced_key_line("cmd", key_a, "c1", "lb1", {"192.0.2.1\",permitopen=\"*"}));
  EXPECT_FALSE(forced_key_line("cmd", key_a, "c1", "lb1", {"192.0.2.0/24"}));
  EXPECT_FALSE(forced_key_line("cmd", key_a, "c1", "lb1", {"lb1.example"}));
}

// Lines written before `restrict` and from= are still ours to replace and remove.
TEST(authorized_keys, old_lines_are_replaced_and_removed) {
  const std::string old_line =
      "command=\"/usr/bin/lbha-receive-config --restricted\",no-pty,no-port-forwarding,"
      "no-agent-forwarding,no-X11-forwarding,no-user-rc " +
      key_a + " lbha-pair:c1:lb1";
  std::string text = operator_line + "\n" + old_line + "\n";
  auto fresh = forced_key_line("cmd", key_a, "c1", "lb1", {"192.0.2.1"}).value();
  EXPECT_EQ(add_line(text, fresh, key_a), operator_line + "\n" + fresh + "\n");
  EXPECT_EQ(remove_lbha_lines(text, "c1"), operator_line + "\n");
  EXPECT_EQ(remove_lbha_lines(operator_line + "\n" + fresh + "\n", "c1"), operator_line + "\n");
}

TEST(authorized_keys, forced_line_refuses_injection) {
  EXPECT_FALSE(forced_key_line("x\",permitopen=\"*", key_a, "c1", "lb1"));
  EXPECT_FALSE(forced_key_line("cmd", "ssh-rsa AAAA", "c1", "lb1"));
  EXPECT_FALSE(forced_key_line("cmd", key_a, "c1", "lb 1"));
  EXPECT_FALSE(forced_key_line("cmd", key_a + "\nssh-ed25519 evil", "c1", "lb1"));
}

TEST(authorized_keys, add_replaces_the_same_key_and_keeps_others) {
  auto first = forced_key_line("cmd", key_a, "c1", "lb1").value();
  auto second = forced_key_line("cmd2", key_a, "c2", "lb1").value();
  std::string text = "# operator keys\n" + operator_line + "\n";
  text = add_line(text, first, key_a);
  text = add_line(text, second, key_a);
  EXPECT_EQ(text, "# operator keys\n" + operator_line + "\n" + second + "\n");
}

TEST(authorized_keys, remove_takes_only_lbha_lines_of_the_cluster) {
  auto a = forced_key_line("cmd", key_a, "c1", "lb1").value();
  auto b = forced_key_line("cmd", key_b, "c2", "lb3").value();
  std::string text = operator_line + "\n" + a + "\n" + b + "\n";
  EXPECT_EQ(remove_lbha_lines(text, "c1"), operator_line + "\n" + b + "\n");
  EXPECT_EQ(remove_lbha_lines(text, ""), operator_line + "\n");
}

TEST(authorized_keys, file_is_created_0600_and_cleaned) {
  testing::temp_dir dir;
  auto file = dir.path() / "home" / ".ssh" / "authorized_keys";
  ASSERT_TRUE(write_file_atomically(dir.path() / "placeholder", ""));
  auto line = forced_key_line("cmd", key_a, "c1", "lb1").value();
  ASSERT_TRUE(install_authorized_key(file, line, key_a));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(file.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto removed = remove_authorized_keys(file, "c1");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed.value(), 1);
  EXPECT_EQ(read_file(file).value(), "");
  EXPECT_EQ(remove_authorized_keys(file, "c1").value(), 0);
}

// Root's replicatord writes the file as the login user: the file is the
// user's, and a symlink the user planted is followed with the user's rights.
TEST(authorized_keys, root_writes_the_file_as_its_owner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to take another user's file identity";
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody'";
  const key_file_owner owner{nobody->pw_uid, nobody->pw_gid};
  testing::temp_dir dir;
  auto home = dir.path() / "home";
  std::filesystem::create_directories(home);
  ASSERT_EQ(::chown(home.c_str(), owner.uid, owner.gid), 0);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  auto file = home / ".ssh" / "authorized_keys";
  auto line = forced_key_line("cmd", key_a, "c1", "lb1").value();
  ASSERT_TRUE(install_authorized_key(file, line, key_a, owner));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, owner.uid);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(file.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, owner.uid);
  EXPECT_TRUE(write_file_atomically(dir.path() / "root-only", "x", 0600));

  // The user points authorized_keys at a root-only file: root's copy of it is refused.
  const auto secret = dir.path() / "root-only";
  std::filesystem::remove(file);
  std::filesystem::create_symlink(secret, file);
  EXPECT_FALSE(install_authorized_key(file, line, key_a, owner));
  EXPECT_EQ(read_file(secret).value(), "x");
}

}  // namespace
}  // namespace lbha::pairing
