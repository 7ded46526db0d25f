// The change forms as lbctl command lines (lbctl_forms.hpp), and those
// command lines run through lbctl's own library (cli_operations) on a node
// directory with no daemon: Preview is lbctl's --dry-run, and a bad value
// gets the very words lbctl prints for the same command typed by hand.
#include "web/lbctl_forms.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cli/app.hpp"
#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/web/fixtures.hpp"
#include "web/cli_operations.hpp"

namespace lbha::web {
namespace {

using ::testing::HasSubstr;
using args = std::vector<std::string>;

const edit_form& form(std::string_view path) {
  const auto* found = edit_form_at(path);
  EXPECT_NE(found, nullptr) << path;
  return *found;
}

std::vector<std::string> built(std::string_view path, const form_fields& fields, bool dry_run) {
  std::string error;
  auto out = lbctl_args(form(path), fields, dry_run, error);
  EXPECT_TRUE(out) << error;
  return out.value_or(args{});
}

TEST(web_lbctl_forms, each_form_is_its_lbctl_command_with_the_filled_in_options) {
  EXPECT_EQ(built("/lbadmin/services/vip/add",
                  {{"label", "WEB_VIP"}, {"ip", "192.0.2.102"}, {"ports", "80,443"}, {"check", ""}},
                  false),
            (args{"vip", "add", "--ip=192.0.2.102", "--ports=80,443", "--", "WEB_VIP"}));
  EXPECT_EQ(
      built("/lbadmin/services/vip/modify", {{"vip", "DA_VIP"}, {"client-timeout", "10m"}}, true),
      (args{"vip", "modify", "--client-timeout=10m", "--dry-run", "--", "DA_VIP"}));
  EXPECT_EQ(built("/lbadmin/services/vip/delete", {{"vip", "DA_VIP"}, {"ip", "ignored"}}, false),
            (args{"vip", "delete", "--", "DA_VIP"}));
  EXPECT_EQ(
      built("/lbadmin/services/rip/add",
            {{"vip", "DA_VIP"}, {"label", "DA3"}, {"ip", "192.0.2.23"}, {"weight", "50"}}, false),
      (args{"rip", "add", "--ip=192.0.2.23", "--weight=50", "--", "DA_VIP", "DA3"}));
  EXPECT_EQ(built("/lbadmin/services/rip/modify",
                  {{"vip", "DA_VIP"}, {"rip", "DA1"}, {"backup", "yes"}}, false),
            (args{"rip", "modify", "--backup=yes", "--", "DA_VIP", "DA1"}));
  EXPECT_EQ(built("/lbadmin/services/rip/delete", {{"vip", "DA_VIP"}, {"rip", "DA1"}}, true),
            (args{"rip", "delete", "--dry-run", "--", "DA_VIP", "DA1"}));
}

TEST(web_lbctl_forms, a_missing_label_is_an_error_not_a_command) {
  std::string error;
  EXPECT_FALSE(lbctl_args(form("/lbadmin/services/rip/add"), {{"vip", "DA_VIP"}}, false, error));
  EXPECT_EQ(error, "the new label is missing");
  EXPECT_FALSE(lbctl_args(form("/lbadmin/services/vip/delete"), {}, false, error));
  EXPECT_EQ(edit_form_at("/lbadmin/services/vip/rename"), nullptr);
}

TEST(web_lbctl_forms, the_command_line_reads_as_typed) {
  EXPECT_EQ(command_line({"rip", "add", "--ip=192.0.2.23", "--", "DA_VIP", "DA3"}),
            "lbctl rip add --ip=192.0.2.23 DA_VIP DA3");
  EXPECT_EQ(command_line({"vip", "modify", "--check-path=/a b", "--", "-X"}),
            "lbctl vip modify '--check-path=/a b' -- -X");
  EXPECT_EQ(command_line({"vip", "delete", "--", "it's"}), "lbctl vip delete 'it'\\''s'");
}

// A node's directories with the seed's cluster.yaml and no daemon running.
class web_lbctl_on_a_node : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(write_file_atomically(dir_.path() / "cluster.yaml",
                                      config::to_yaml(testing::seed_config()), 0644));
    paths_.config_dir = dir_.path();
    paths_.run_dir = dir_.path() / "run";
    paths_.state_dir = dir_.path() / "state";
    paths_.node_config = dir_.path() / "node.yaml";  // absent: the defaults
  }

  // lbctl as an operator types it, with the same directories.
  node_operations::command_run typed(std::vector<std::string> words) {
    words.insert(words.begin(), {"lbctl", "--config-dir", dir_.path().string(), "--run-dir",
                                 (dir_.path() / "run").string()});
    std::vector<const char*> argv;
    for (const auto& word : words) argv.push_back(word.c_str());
    std::ostringstream out;
    std::ostringstream err;
    std::istringstream in;
    const int code = cli::run_lbctl(static_cast<int>(argv.size()), argv.data(), out, err, in);
    return {code, out.str(), err.str()};
  }

  test_support::scratch_dir dir_{"web-lbctl"};
  cli::cli_context paths_;
};

TEST_F(web_lbctl_on_a_node, a_bad_weight_gets_lbctls_own_words) {
  cli_operations node(paths_);
  const auto by_form = node.run_lbctl(
      built("/lbadmin/services/rip/add",
            {{"vip", "DA_VIP"}, {"label", "DA3"}, {"ip", "192.0.2.23"}, {"weight", "abc"}}, false));
  const auto by_hand =
      typed({"rip", "add", "DA_VIP", "DA3", "--ip", "192.0.2.23", "--weight", "abc"});
  EXPECT_FALSE(by_form.ok());
  EXPECT_EQ(by_form.exit_code, by_hand.exit_code);
  EXPECT_EQ(by_form.err, by_hand.err);
  EXPECT_THAT(by_form.err, HasSubstr("invalid --weight abc: must be 0..256"));
}

TEST_F(web_lbctl_on_a_node, preview_shows_lbctls_diff_and_commits_nothing) {
  cli_operations node(paths_);
  const auto before = node.read_cluster_config();
  ASSERT_TRUE(before.config) << before.error;
  const auto preview = node.run_lbctl(
      built("/lbadmin/services/rip/add",
            {{"vip", "DA_VIP"}, {"label", "DA3"}, {"ip", "192.0.2.23"}, {"weight", "50"}}, true));
  EXPECT_TRUE(preview.ok()) << preview.err;
  EXPECT_THAT(preview.out, HasSubstr("real server DA3"));
  EXPECT_THAT(preview.out, HasSubstr("weight 50"));
  const auto after = node.read_cluster_config();
  ASSERT_TRUE(after.config);
  EXPECT_EQ(after.config->DebugString(), before.config->DebugString());
}

TEST_F(web_lbctl_on_a_node, a_label_that_looks_like_an_option_stays_a_label) {
  cli_operations node(paths_);
  const auto run =
      node.run_lbctl(built("/lbadmin/services/vip/delete", {{"vip", "--dry-run"}}, false));
  EXPECT_FALSE(run.ok());
  EXPECT_THAT(run.err, HasSubstr("unknown virtual service --dry-run"));
}

}  // namespace
}  // namespace lbha::web
