// The WebUI's change and view pages end to end in one process (the fixture
// of webui_fixture.hpp): every change is the lbctl command the form names,
// Preview is its --dry-run, a commit's answer is shown on the next page, and
// the same refusals as the overview's buttons (no session, CSRF, read only).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "tests/web/webui_fixture.hpp"
#include "web/lbctl_forms.hpp"

namespace lbha::web {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using args = std::vector<std::string>;

TEST_F(webui_server, the_services_page_lists_what_lbctl_lists_with_links_for_an_admin) {
  const auto cookie = log_in("admin", "secret");
  const auto page = get("/lbadmin/services", cookie).body();
  EXPECT_THAT(page, HasSubstr("<td>DA_VIP</td><td>192.0.2.101</td><td>9001</td>"));
  EXPECT_THAT(page, HasSubstr("<td>IIS2</td><td>192.0.2.22</td>"));
  EXPECT_THAT(page, HasSubstr("href=\"/lbadmin/services/rip/add?vip=DA_VIP\""));
  EXPECT_THAT(page, HasSubstr("href=\"/lbadmin/services/rip/modify?vip=DA_VIP&amp;rip=DA1\""));
  EXPECT_THAT(page, HasSubstr("Committed generation 8."));

  const auto viewer = log_in("operator", "look");
  const auto read_only = get("/lbadmin/services", viewer).body();
  EXPECT_THAT(read_only, HasSubstr("<td>DA1</td>"));
  EXPECT_THAT(read_only, Not(HasSubstr("/lbadmin/services/rip/")));
  EXPECT_EQ(get("/lbadmin/services/rip/add?vip=DA_VIP", viewer).result(), http::status::forbidden);
}

TEST_F(webui_server, a_form_has_an_input_per_lbctl_option_and_shows_the_item_now) {
  const auto cookie = log_in("admin", "secret");
  const auto add = get("/lbadmin/services/rip/add?vip=DA_VIP", cookie).body();
  EXPECT_THAT(add, HasSubstr("<form id=\"rip-form\""));
  for (const char* name : {"label", "ip", "port", "weight", "backup"}) {
    EXPECT_THAT(add, HasSubstr("name=\"" + std::string(name) + "\"")) << name;
  }
  EXPECT_THAT(add, HasSubstr("0..256 (default 100)"));  // lbctl's own help
  EXPECT_THAT(add, HasSubstr("id=\"preview\""));
  EXPECT_THAT(add, Not(HasSubstr("id=\"commit\"")));  // Commit comes after a Preview
  const auto modify = get("/lbadmin/services/vip/modify?vip=DA_VIP", cookie).body();
  EXPECT_THAT(modify, HasSubstr("<form id=\"vip-form\""));
  EXPECT_THAT(modify, HasSubstr("name=\"check-interval\""));
  EXPECT_THAT(modify, HasSubstr("ip: 192.0.2.101"));  // what it is now
  EXPECT_THAT(modify, HasSubstr("timeouts.client: 5m"));
  const auto rip = get("/lbadmin/services/rip/modify?vip=DA_VIP&rip=DA1", cookie).body();
  EXPECT_THAT(rip, HasSubstr("ip 192.0.2.21"));
}

std::string previewed_of(const std::string& page) {
  std::smatch m;
  if (!std::regex_search(page, m, std::regex("name=\"previewed\" value=\"([0-9a-f]{64})\"")))
    return "";
  return m[1];
}

TEST_F(webui_server, preview_is_the_dry_run_and_commit_follows_it) {
  const auto cookie = log_in("admin", "secret");
  const auto csrf = csrf_of(get("/lbadmin/services", cookie).body());
  EXPECT_THAT(get("/lbadmin/services/rip/add?vip=DA_VIP", cookie).body(),
              Not(HasSubstr("id=\"commit\"")));  // nothing to commit before a preview
  node_.lbctl_answer = {0, "~ virtual service DA_VIP\n+     real server DA3: ip 192.0.2.23\n", ""};
  const std::string form = "csrf=" + csrf + "&vip=DA_VIP&label=DA3&ip=192.0.2.23&port=&weight=50";
  const auto preview = post("/lbadmin/services/rip/add", form + "&backup=&step=preview", cookie);
  EXPECT_EQ(preview.result(), http::status::ok);
  EXPECT_THAT(preview.body(), HasSubstr("<pre id=\"lbctl-output\" class=\"ok\">~ virtual service"));
  EXPECT_THAT(preview.body(), HasSubstr("value=\"192.0.2.23\""));  // the form keeps its values
  EXPECT_THAT(preview.body(),
              HasSubstr("lbctl rip add --ip=192.0.2.23 --weight=50 --dry-run DA_VIP DA3"));
  EXPECT_THAT(preview.body(), HasSubstr("id=\"commit\""));
  const auto digest = previewed_of(preview.body());
  ASSERT_EQ(digest, preview_digest(node_.lbctl_answer.out));
  const auto commit =
      post("/lbadmin/services/rip/add", form + "&step=commit&previewed=" + digest, cookie);
  EXPECT_EQ(commit.result(), http::status::see_other) << commit.body();
  EXPECT_EQ(commit[http::field::location], "/lbadmin/services");
  const args dry{"rip",       "add", "--ip=192.0.2.23", "--weight=50",
                 "--dry-run", "--",  "DA_VIP",          "DA3"};
  const args real{"rip", "add", "--ip=192.0.2.23", "--weight=50", "--", "DA_VIP", "DA3"};
  EXPECT_THAT(node_.lbctl_runs(), ElementsAre(dry, dry, real));  // the commit checked its diff
  EXPECT_THAT(get("/lbadmin/services", cookie).body(),
              HasSubstr("<pre id=\"lbctl-output\" class=\"ok\">lbctl rip add --ip=192.0.2.23 "
                        "--weight=50 DA_VIP DA3\n~ virtual service"));
}

TEST_F(webui_server, a_commit_whose_diff_changed_since_its_preview_is_shown_again_not_made) {
  const auto cookie = log_in("admin", "secret");
  const auto csrf = csrf_of(get("/lbadmin/services", cookie).body());
  const std::string form = "csrf=" + csrf + "&vip=DA_VIP&rip=DA1&weight=50";
  node_.lbctl_answer = {0, "~     real server DA1: weight 100 -> 50\n", ""};
  const auto digest =
      previewed_of(post("/lbadmin/services/rip/modify", form + "&step=preview", cookie).body());
  ASSERT_FALSE(digest.empty());
  // Someone else changed DA1 meanwhile: the same form now means another diff.
  node_.lbctl_answer = {0, "~     real server DA1: weight 80 -> 50\n", ""};
  for (const std::string& sent : {std::string("&previewed=") + digest, std::string()}) {
    const auto res = post("/lbadmin/services/rip/modify", form + "&step=commit" + sent, cookie);
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_THAT(res.body(), HasSubstr("Not committed: this is not the change that was previewed"));
    EXPECT_THAT(res.body(), HasSubstr("weight 80 -&gt; 50"));
    EXPECT_EQ(previewed_of(res.body()), preview_digest(node_.lbctl_answer.out));
  }
  for (const auto& run : node_.lbctl_runs()) {
    EXPECT_NE(std::find(run.begin(), run.end(), "--dry-run"), run.end()) << "committed";
  }
}

TEST_F(webui_server, a_refused_command_shows_lbctls_error_on_the_form) {
  const auto cookie = log_in("admin", "secret");
  const auto csrf = csrf_of(get("/lbadmin/services", cookie).body());
  node_.lbctl_answer = {1, "", "lbctl: invalid --weight abc: must be 0..256\n"};
  const auto res =
      post("/lbadmin/services/rip/add",
           "csrf=" + csrf + "&vip=DA_VIP&label=DA3&ip=192.0.2.23&weight=abc&step=commit", cookie);
  EXPECT_EQ(res.result(), http::status::unprocessable_entity);
  EXPECT_THAT(res.body(), HasSubstr("<pre id=\"lbctl-output\" class=\"failed\">lbctl: invalid "
                                    "--weight abc: must be 0..256"));
  EXPECT_THAT(res.body(), HasSubstr("value=\"abc\""));
}

TEST_F(webui_server, change_pages_refuse_what_the_overview_refuses) {
  const auto cookie = log_in("admin", "secret");
  const std::string form = "vip=DA_VIP&rip=DA1&step=commit";
  EXPECT_EQ(post("/lbadmin/services/rip/delete", form, cookie).result(), http::status::forbidden);
  EXPECT_EQ(post("/lbadmin/ha/action", "action=make-active", cookie).result(),
            http::status::forbidden);
  const auto viewer = log_in("operator", "look");
  const auto csrf = csrf_of(get("/lbadmin/ha", viewer).body());
  const auto res = post("/lbadmin/services/rip/delete", form + "&csrf=" + csrf, viewer);
  EXPECT_EQ(res.result(), http::status::forbidden);
  EXPECT_THAT(res.body(), HasSubstr("not in lbha-admin"));
  EXPECT_EQ(post("/lbadmin/ha/action", "action=make-active&csrf=" + csrf, viewer).result(),
            http::status::forbidden);
  EXPECT_TRUE(node_.lbctl_runs().empty());
}

TEST_F(webui_server, make_active_is_confirmed_then_run_as_lbctl_make_active) {
  const auto cookie = log_in("admin", "secret");
  const auto page = get("/lbadmin/ha", cookie).body();
  EXPECT_THAT(page,
              HasSubstr("id=\"make-active\" href=\"/lbadmin/ha/confirm?action=make-active\""));
  EXPECT_THAT(page, HasSubstr("Break Clustered Pair"));
  const auto confirm = get("/lbadmin/ha/confirm?action=make-active", cookie).body();
  EXPECT_THAT(confirm, HasSubstr("id=\"confirm\""));
  const auto csrf = csrf_of(confirm);
  node_.lbctl_answer = {0, "lb2 is active now\n", ""};
  const auto res = post("/lbadmin/ha/action", "csrf=" + csrf + "&action=make-active", cookie);
  EXPECT_EQ(res.result(), http::status::see_other);
  const auto runs = node_.lbctl_runs();
  EXPECT_THAT(runs, ElementsAre(args{"make-active"}));  // the page itself reads no lbctl
  EXPECT_THAT(
      get("/lbadmin/ha", cookie).body(),
      HasSubstr("<pre id=\"lbctl-output\" class=\"ok\">lbctl make-active\nlb2 is active now"));
  EXPECT_EQ(get("/lbadmin/ha/confirm?action=reboot", cookie).result(), http::status::not_found);
}

TEST_F(webui_server, an_unpaired_node_offers_pairing_with_the_host_key_first) {
  node_.node.replication->set_paired(false);
  const auto cookie = log_in("admin", "secret");
  const auto page = get("/lbadmin/ha", cookie).body();
  EXPECT_THAT(page, HasSubstr("id=\"pair-form\""));
  EXPECT_THAT(page, Not(HasSubstr("id=\"make-active\"")));
  const auto csrf = csrf_of(page);
  node_.lbctl_answer = {0, "192.0.2.12 presents the ssh-ed25519 host key\n  SHA256:abcDEF123\n",
                        ""};
  const auto shown =
      post("/lbadmin/ha/pair", "csrf=" + csrf + "&step=host-key&peer=192.0.2.12", cookie);
  EXPECT_THAT(node_.lbctl_runs().back(), (args{"pair", "--peer=192.0.2.12", "--show-fingerprint"}));
  EXPECT_THAT(shown.body(), HasSubstr("name=\"fingerprint\" value=\"SHA256:abcDEF123\""));
  node_.lbctl_answer = {0, "paired with lb2\n", ""};
  const auto paired = post("/lbadmin/ha/pair",
                           "csrf=" + csrf +
                               "&step=pair&peer=192.0.2.12&fingerprint=SHA256:abcDEF123"
                               "&password=s3cret&lock=yes",
                           cookie);
  EXPECT_EQ(paired.result(), http::status::see_other);
  const auto pairings = node_.pairings();
  ASSERT_EQ(pairings.size(), 1u);
  EXPECT_EQ(pairings[0].peer, "192.0.2.12");
  EXPECT_EQ(pairings[0].fingerprint, "SHA256:abcDEF123");
  EXPECT_EQ(pairings[0].password, "s3cret");
  EXPECT_TRUE(pairings[0].lock_password);
  EXPECT_THAT(get("/lbadmin/ha", cookie).body(), Not(HasSubstr("s3cret")));
}

TEST_F(webui_server, view_pages_show_config_history_and_logs_to_any_user) {
  const auto viewer = log_in("operator", "look");
  const auto config = get("/lbadmin/config", viewer).body();
  EXPECT_THAT(config, HasSubstr("<pre id=\"cluster-yaml\" class=\"file ok\">generation: 8"));
  EXPECT_THAT(config, HasSubstr("node_name: lb1"));
  node_.lbctl_answer = {0, "GENERATION  TERM\n* 8  2\n", ""};
  const auto history = get("/lbadmin/history?generation=7", viewer).body();
  EXPECT_THAT(node_.lbctl_runs().back(), (args{"config", "show", "--generation", "7"}));
  EXPECT_THAT(history, HasSubstr("<h2>Generation 7</h2>"));
  EXPECT_EQ(get("/lbadmin/history?generation=x", viewer).result(), http::status::bad_request);
  const auto logs = get("/lbadmin/logs?daemon=proxyd&priority=warning&lines=50", viewer).body();
  EXPECT_THAT(logs, HasSubstr("role: active"));
  const auto queries = node_.log_queries();
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].daemon, "proxyd");
  EXPECT_EQ(queries[0].priority, "warning");
  EXPECT_EQ(queries[0].lines, 50);
  EXPECT_EQ(get("/lbadmin/logs?daemon=sshd", viewer).result(), http::status::bad_request);
}

}  // namespace
}  // namespace lbha::web
