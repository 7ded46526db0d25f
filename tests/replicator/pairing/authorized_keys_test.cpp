#include "replicator/pairing/authorized_keys.hpp"

#include <sys/stat.h>

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
  EXPECT_EQ(line.value(),
            "command=\"/usr/bin/lbha-receive-config --restricted\",no-pty,no-port-forwarding,"
            "no-agent-forwarding,no-X11-forwarding,no-user-rc " +
                key_a + " lbha-pair:c1:lb1");
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

}  // namespace
}  // namespace lbha::pairing
