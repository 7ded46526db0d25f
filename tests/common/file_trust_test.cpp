#include "common/file_trust.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/node_files.hpp"

namespace lbha {
namespace {

namespace fs = std::filesystem;

class file_trust_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lbha-trust-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path file(const std::string& name, mode_t mode) {
    auto p = dir_ / name;
    std::ofstream(p) << "x\n";
    ::chmod(p.c_str(), mode);
    return p;
  }
  std::string refusal(const fs::path& p, std::string_view what = "node.yaml") {
    auto r = check_trusted_file(p, what);
    return r ? std::string() : r.error().message();
  }

  fs::path dir_;
};

TEST_F(file_trust_test, an_owner_only_writable_file_in_a_safe_directory_is_trusted) {
  EXPECT_TRUE(check_trusted_file(file("node.yaml", 0644), "node.yaml"));
  EXPECT_TRUE(check_trusted_file(file("hook", 0755), "hook"));
}

TEST_F(file_trust_test, a_group_or_world_writable_file_is_refused_with_the_fix) {
  auto p = file("node.yaml", 0664);
  EXPECT_EQ(refusal(p), "node.yaml " + p.string() +
                            " is group- or world-writable (mode 0664), so others could run code "
                            "as root; fix: chmod go-w " +
                            p.string());
  EXPECT_NE(refusal(file("hook", 0757), "notify.on_active hook").find("notify.on_active hook"),
            std::string::npos);
}

TEST_F(file_trust_test, a_writable_directory_on_the_path_is_refused) {
  fs::create_directories(dir_ / "etc");
  ::chmod((dir_ / "etc").c_str(), 0775);
  std::ofstream(dir_ / "etc" / "node.yaml") << "x\n";
  auto why = refusal(dir_ / "etc" / "node.yaml");
  EXPECT_NE(why.find("directory " + (dir_ / "etc").string()), std::string::npos) << why;
  EXPECT_NE(why.find("chmod go-w " + (dir_ / "etc").string()), std::string::npos) << why;
}

TEST_F(file_trust_test, a_file_owned_by_another_user_is_refused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  auto p = file("node.yaml", 0644);
  ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
  EXPECT_EQ(refusal(p), "node.yaml " + p.string() +
                            " is owned by uid 65534, not root, so that user could run code as "
                            "root; fix: chown root " +
                            p.string());
}

TEST_F(file_trust_test, a_symlink_is_judged_by_what_it_points_at) {
  fs::create_directories(dir_ / "open");
  ::chmod((dir_ / "open").c_str(), 0777);
  std::ofstream(dir_ / "open" / "node.yaml") << "x\n";
  fs::create_symlink(dir_ / "open" / "node.yaml", dir_ / "node.yaml");
  auto why = refusal(dir_ / "node.yaml");
  EXPECT_NE(why.find((dir_ / "open").string()), std::string::npos) << why;
}

TEST_F(file_trust_test, a_missing_file_is_an_error) {
  EXPECT_FALSE(check_trusted_file(dir_ / "nope", "x"));
}

TEST_F(file_trust_test, loading_node_files_checks_node_yaml_and_every_hook) {
  auto hook = file("on_active.sh", 0775);
  std::ofstream(dir_ / "node.yaml")
      << "node_name: lb1\ninterface: lo\nlocal_addresses: [192.0.2.1]\n"
         "peer_addresses: [192.0.2.2]\nnotify: {on_active: "
      << hook.string() << "}\ndirectories: {config_dir: " << dir_.string() << "}\n";
  ::chmod((dir_ / "node.yaml").c_str(), 0644);
  daemon_options options;
  options.node_config = dir_ / "node.yaml";
  auto r = load_node_files(options);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("notify.on_active hook " + hook.string()), std::string::npos)
      << r.error().message();
  ::chmod(hook.c_str(), 0755);
  ASSERT_TRUE(load_node_files(options));
  ::chmod((dir_ / "node.yaml").c_str(), 0666);
  r = load_node_files(options);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("chmod go-w " + (dir_ / "node.yaml").string()),
            std::string::npos);
}

TEST_F(file_trust_test, an_alerts_hook_must_be_executable_and_trusted) {
  auto first = file("first.sh", 0755);
  auto second = file("second.sh", 0644);
  std::ofstream(dir_ / "node.yaml") << "node_name: lb1\ninterface: lo\nalerts:\n  hooks: ["
                                    << first.string() << ", " << second.string()
                                    << "]\ndirectories: {config_dir: " << dir_.string() << "}\n";
  ::chmod((dir_ / "node.yaml").c_str(), 0644);
  daemon_options options;
  options.node_config = dir_ / "node.yaml";
  auto r = load_node_files(options);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find((dir_ / "node.yaml").string() + ": alerts.hooks[1]: " +
                                     second.string() + " cannot be run"),
            std::string::npos)
      << r.error().message();
  ::chmod(second.c_str(), 0757);
  r = load_node_files(options);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("alerts.hooks[1] hook " + second.string()), std::string::npos)
      << r.error().message();
  ::chmod(second.c_str(), 0755);
  auto loaded = load_node_files(options);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded.value().node.alerts().hooks_size(), 2);
}

}  // namespace
}  // namespace lbha
