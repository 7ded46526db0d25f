// The read-only pages' pure parts: secrets masked, the log query checked,
// escaping; and the HA page's buttons and host-key parsing.
#include "web/config_pages.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/status_view.hpp"
#include "tests/web/fixtures.hpp"
#include "web/escape.hpp"
#include "web/ha_page.hpp"
#include "web/services_page.hpp"

namespace lbha::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const page_viewer& admin = testing::admin_viewer;
const page_viewer& reader = testing::reader_viewer;

TEST(web_config_pages, mask_secrets_hides_the_values_of_secret_keys_only) {
  EXPECT_EQ(mask_secrets("ssh:\n  user: loadbalancer\n  password: hunter2\n"
                         "  - api_token: abc\nkey: /etc/lbha/web/key.pem\nPSK: x"),
            "ssh:\n  user: loadbalancer\n  password: ********\n  - api_token: ********\n"
            "key: /etc/lbha/web/key.pem\nPSK: ********");
  EXPECT_EQ(mask_secrets("secrets:\n  a: 1\n"), "secrets:\n  a: 1\n");  // a section, no value
}

TEST(web_config_pages, the_log_query_takes_known_daemons_and_levels_only) {
  std::string error;
  auto query = parse_log_query({}, error);
  ASSERT_TRUE(query);
  EXPECT_EQ(query->daemon, "heartbeatd");
  EXPECT_EQ(query->priority, "info");
  EXPECT_EQ(query->lines, 200);
  query = parse_log_query({{"daemon", "webd"}, {"priority", "err"}, {"lines", "2000"}}, error);
  ASSERT_TRUE(query);
  EXPECT_EQ(query->lines, 2000);
  EXPECT_FALSE(parse_log_query({{"daemon", "sshd"}}, error));
  EXPECT_THAT(error, HasSubstr("daemon is heartbeatd"));
  EXPECT_FALSE(parse_log_query({{"priority", "-p7"}}, error));
  EXPECT_FALSE(parse_log_query({{"lines", "2001"}}, error));
  EXPECT_FALSE(parse_log_query({{"lines", "0"}}, error));
  EXPECT_FALSE(parse_log_query({{"lines", "1e3"}}, error));
}

TEST(web_config_pages, logs_and_config_are_escaped) {
  const auto logs =
      render_logs_page({"proxyd", "info", 10}, {0, "<script>x</script>\n", ""}, reader, "lb1");
  EXPECT_THAT(logs, Not(HasSubstr("<script>x")));
  EXPECT_THAT(logs, HasSubstr("&lt;script&gt;x"));
  EXPECT_THAT(logs, HasSubstr("<option selected>proxyd</option>"));
  EXPECT_THAT(render_logs_page({"syncd", "err", 10}, {0, "", ""}, reader, "lb1"),
              HasSubstr("(no journal lines of lbha-syncd.service at err or worse)"));
  const auto config = render_config_page(
      {{0, "a: <b>\n", ""}, {1, "", "lbctl: cannot read node.yaml\n"}}, reader, "lb1");
  EXPECT_THAT(config, HasSubstr("a: &lt;b&gt;"));
  EXPECT_THAT(config, HasSubstr("class=\"file failed\">lbctl: cannot read node.yaml"));
}

TEST(web_ha_page, buttons_are_for_an_admin_of_a_paired_node) {
  auto read = testing::seed_node_read();
  const auto page = render_ha_page(read, admin, "lb1", {});
  for (const char* id : {"make-active", "make-passive", "break-pair"}) {
    EXPECT_THAT(page, HasSubstr("id=\"" + std::string(id) + "\"")) << id;
  }
  EXPECT_THAT(page, Not(HasSubstr("pair-form")));
  // Each daemon's status in lbctl's words.
  EXPECT_THAT(page, HasSubstr("peer:              lb2 (192.0.2.12)"));
  EXPECT_THAT(page, HasSubstr("peer:            lb2 192.0.2.12 connected"));
  EXPECT_THAT(page, HasSubstr(html_escape(cli::render_ha_text(*read.overview.ha))));
  EXPECT_THAT(render_ha_page(read, reader, "lb1", {}), Not(HasSubstr("make-active")));
  read.replication->set_paired(false);
  EXPECT_THAT(render_ha_page(read, admin, "lb1", {}), HasSubstr("id=\"pair-form\""));
  EXPECT_THAT(render_ha_page(read, reader, "lb1", {}), Not(HasSubstr("pair-form")));
  // replicatord silent: no pairing offered, and why it is missing.
  read.replication.reset();
  read.replication_error = "lbha-replicatord did not answer on /run/lbha/replicatord.sock";
  const auto silent = render_ha_page(read, admin, "lb1", {});
  EXPECT_THAT(silent, Not(HasSubstr("pair-form")));
  EXPECT_THAT(silent, HasSubstr("class=\"status failed\">lbctl: lbha-replicatord did not answer"));
  EXPECT_EQ(ha_action_named("break-pair")->lbctl, std::vector<std::string>{"unpair"});
}

TEST(web_ha_page, the_host_key_is_read_from_lbctls_words) {
  EXPECT_EQ(fingerprint_in("192.0.2.12 presents the ssh-ed25519 host key\n  SHA256:Ab+/9\n(x)"),
            "SHA256:Ab+/9");
  EXPECT_EQ(fingerprint_in("lbctl: cannot read the host key"), std::nullopt);
  const auto page = render_pair_page("192.0.2.12", {1, "", "lbctl: connection refused\n"},
                                     std::nullopt, admin, "lb1");
  EXPECT_THAT(page, HasSubstr("class=\"failed\">lbctl: connection refused"));
  EXPECT_THAT(page, Not(HasSubstr("name=\"password\"")));
}

TEST(web_services_page, describes_an_item_as_cluster_yaml_writes_it) {
  const auto config = testing::seed_config();
  const auto service = describe_virtual_service(config, "IIS_VIP");
  EXPECT_THAT(service, HasSubstr("ip: 192.0.2.100"));
  EXPECT_THAT(service, HasSubstr("persistence.mode: source_ip"));
  EXPECT_THAT(service, HasSubstr("real server IIS1: ip 192.0.2.21"));
  EXPECT_EQ(describe_virtual_service(config, "NOPE"), "");
  EXPECT_THAT(describe_real_server(config, "DA_VIP", "DA2"), HasSubstr("ip 192.0.2.22"));
  EXPECT_EQ(describe_real_server(config, "DA_VIP", "DA9"), "");
}

}  // namespace
}  // namespace lbha::web
