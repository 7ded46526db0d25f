// packaging/examples/lbha-alert-mail run as lbha runs a hook (hook_runner,
// the LBHA_* environment only), with a recording sendmail: the mail it hands
// over, and a clear failure without a recipient.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/event_hooks.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class alert_mail_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lbha-alert-mail-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const auto sendmail = dir_ / "sendmail";
    std::ofstream(sendmail) << "#!/bin/sh\necho \"args: $*\" > " << (dir_ / "mail").string()
                            << "\ncat >> " << (dir_ / "mail").string() << "\n";
    ::chmod(sendmail.c_str(), 0755);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the script for a real_server_down event; returns the hook counters.
  hook_counters run(const std::string& conf_text) {
    std::ofstream(dir_ / "alert-mail.conf") << conf_text;
    const alert_event event{"real_server_down",
                            "Real server web1 (192.0.2.21) of service web is down: refused.",
                            {{"SERVICE", "web"}, {"REAL_SERVER", "web1"}, {"REASON", "refused"}}};
    auto env = alert_environment(event, "lb1", std::chrono::system_clock::now());
    env.push_back("LBHA_MAIL_CONF=" + (dir_ / "alert-mail.conf").string());
    const auto script =
        test_support::in_build_tree(LBHA_SOURCE_DIR) / "packaging/examples/lbha-alert-mail";
    steady_clock clock;
    child_processes processes;
    hook_runner runner(clock, processes, "test");
    runner.submit({hook_job{"event real_server_down", spawn_request{{script.string()}, env, -1}}});
    for (int i = 0; i < 500 && !runner.idle(); ++i) {
      runner.poll();
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(runner.idle());
    return runner.counters();
  }

  std::string mail() const {
    std::ifstream in(dir_ / "mail");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

TEST_F(alert_mail_test, hands_sendmail_a_mail_naming_the_node_and_the_event) {
  const auto counters =
      run("# lbha alerts\nto=ops@example.com\nfrom=lbha@lb1.example.com\n"
          "sendmail=" +
          (dir_ / "sendmail").string() + "\n");
  EXPECT_EQ(counters.started, 1u);
  EXPECT_EQ(counters.failed, 0u);
  const auto text = mail();
  EXPECT_EQ(text.rfind("args: -t -i\n", 0), 0u) << text;
  EXPECT_NE(text.find("\nTo: ops@example.com\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nFrom: lbha@lb1.example.com\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nSubject: [lbha] lb1: real_server_down web/web1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\n\nReal server web1 (192.0.2.21) of service web is down: refused.\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nLBHA_REASON=refused\n"), std::string::npos) << text;
}

TEST_F(alert_mail_test, without_a_recipient_it_fails_and_lbha_counts_it) {
  const auto counters = run("sendmail=" + (dir_ / "sendmail").string() + "\n");
  EXPECT_EQ(counters.failed, 1u);
  EXPECT_FALSE(fs::exists(dir_ / "mail"));
}

}  // namespace
}  // namespace lbha
