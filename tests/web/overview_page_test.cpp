// The System Overview rendered from fixed status messages: the seed's rows,
// colours by state, buttons only for lbha-admin, escaping of every value.
#include "web/overview_page.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "tests/web/fixtures.hpp"
#include "web/login_page.hpp"

namespace lbha::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const page_viewer& admin = testing::admin_viewer;
const page_viewer& reader = testing::reader_viewer;

TEST(web_overview_page, shows_the_seed_table_row_for_row) {
  const auto html = render_overview_fragment(testing::seed_overview(), reader);
  for (const char* heading : {"<th>VIRTUAL SERVICE</th><th>IP</th><th>PORTS</th><th>CONNS</th>"
                              "<th>PROTOCOL</th><th>METHOD</th><th>MODE</th>",
                              "<th>REAL SERVER</th><th>IP</th><th>PORTS</th><th>WEIGHT</th>"
                              "<th>CONNS</th>"}) {
    EXPECT_THAT(html, HasSubstr(heading));
  }
  EXPECT_THAT(html, HasSubstr("<td>IIS_VIP</td><td>192.0.2.100</td><td>443</td>"
                              "<td class=\"num\">3</td><td>TCP</td><td>Layer 7</td>"
                              "<td>Proxy</td>"));
  EXPECT_THAT(html, HasSubstr("<td>IIS1</td><td>192.0.2.21</td><td>443</td>"
                              "<td class=\"num\">100</td><td class=\"num\">2</td><td>up</td>"));
  // Rows come in the seed's order: each service, then its real servers.
  const auto iis = html.find("IIS_VIP"), iis2 = html.find("IIS2"), da = html.find("DA_VIP"),
             da2 = html.find("DA2");
  EXPECT_LT(iis, iis2);
  EXPECT_LT(iis2, da);
  EXPECT_LT(da, da2);
}

TEST(web_overview_page, up_is_green_and_down_is_red) {
  const auto html = render_overview_fragment(testing::seed_overview(), reader);
  EXPECT_THAT(html, HasSubstr("<tr class=\"rip state-up\"><td class=\"mark\">&uarr;</td>"
                              "<td>DA1</td>"));
  EXPECT_THAT(html, HasSubstr("<tr class=\"rip state-down\"><td class=\"mark\">&darr;</td>"
                              "<td>DA2</td>"));
  EXPECT_THAT(html, HasSubstr("<tr class=\"vip state-degraded\""));  // DA_VIP: one of two up
  EXPECT_THAT(html, HasSubstr("<tr class=\"vip state-up\""));        // IIS_VIP
}

TEST(web_overview_page, shows_both_roles) {
  const auto html = render_overview_fragment(testing::seed_overview(), reader);
  EXPECT_THAT(html, HasSubstr("<strong>lb1</strong>: <span class=\"role role-ACTIVE\">ACTIVE"));
  EXPECT_THAT(html, HasSubstr("Peer: <span class=\"role role-PASSIVE\">PASSIVE</span>, alive"));
  auto lost = testing::seed_overview();
  lost.ha->set_peer_alive(false);
  lost.ha->set_last_heartbeat_age_ms(1500);
  EXPECT_THAT(render_overview_fragment(lost, reader),
              HasSubstr("<span class=\"role role-DEAD\">DEAD</span> (last heartbeat 1500 ms ago)"));
}

TEST(web_overview_page, buttons_only_for_lbha_admin_with_the_csrf_token) {
  const auto read_only = render_overview_fragment(testing::seed_overview(), reader);
  EXPECT_THAT(read_only, Not(HasSubstr("<form")));
  EXPECT_THAT(read_only, Not(HasSubstr("Drain")));
  const auto html = render_overview_fragment(testing::seed_overview(), admin);
  EXPECT_THAT(html, HasSubstr("<form method=\"post\" action=\"/lbadmin/real-server/state\">"
                              "<input type=\"hidden\" name=\"csrf\" value=\"" +
                              admin.csrf_token +
                              "\"><input type=\"hidden\" name=\"vip\" value=\"DA_VIP\">"
                              "<input type=\"hidden\" name=\"rip\" value=\"DA1\">"
                              "<button type=\"submit\" name=\"state\" value=\"drain\">Drain"));
  // An online server offers Drain and Halt (the seed's two), not Online.
  EXPECT_THAT(html, Not(HasSubstr("value=\"DA1\"><button type=\"submit\" name=\"state\" "
                                  "value=\"online\"")));
  auto drained = testing::seed_overview();
  drained.proxy->mutable_virtual_services(1)->mutable_real_servers(0)->set_state(
      v1::REAL_SERVER_STATE_DRAIN);
  EXPECT_THAT(render_overview_fragment(drained, admin),
              HasSubstr("value=\"DA1\"><button type=\"submit\" name=\"state\" value=\"halt\">Halt"
                        "</button></form><form method=\"post\" action=\"/lbadmin/real-server/"
                        "state\"><input type=\"hidden\" name=\"csrf\" value=\"" +
                        admin.csrf_token +
                        "\"><input type=\"hidden\" name=\"vip\" value=\"DA_VIP\"><input "
                        "type=\"hidden\" name=\"rip\" value=\"DA1\"><button type=\"submit\" "
                        "name=\"state\" value=\"online\">Online"));
}

TEST(web_overview_page, escapes_every_value) {
  auto view = testing::seed_overview();
  view.ha->set_node_name("<b>lb1</b>");
  view.proxy->mutable_virtual_services(0)->set_label("X\"><script>alert(1)</script>");
  view.proxy->mutable_virtual_services(0)->mutable_real_servers(0)->set_label("R&D");
  const auto html =
      render_overview_page(view, admin, "<i>node</i>", {"<img src=x onerror=1>", false});
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, Not(HasSubstr("<b>lb1")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<i>node")));
  EXPECT_THAT(html, HasSubstr("X&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("<td>R&amp;D</td>"));
  EXPECT_THAT(html, HasSubstr("value=\"X&quot;&gt;&lt;script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=1&gt;"));
}

TEST(web_overview_page, says_which_daemon_did_not_answer) {
  cli::overview view;
  view.ha_error = "lbha-heartbeatd did not answer on /run/lbha/heartbeatd.sock";
  view.proxy_error = "lbha-proxyd did not answer <here>";
  const auto html = render_overview_fragment(view, reader);
  EXPECT_THAT(html, HasSubstr("heartbeatd: unreachable: lbha-heartbeatd did not answer"));
  EXPECT_THAT(html, HasSubstr("proxyd: unreachable: lbha-proxyd did not answer &lt;here&gt;"));
}

TEST(web_overview_page, page_polls_the_json_endpoint_served_by_webd) {
  const auto html = render_overview_page(testing::seed_overview(), reader, "lb1", {});
  EXPECT_THAT(html, HasSubstr("<div id=\"overview\" data-poll=\"/lbadmin/api/overview\">"));
  EXPECT_THAT(html, HasSubstr("<script src=\"/lbadmin/static/lbha.js\" defer></script>"));
  EXPECT_THAT(html, HasSubstr("<link rel=\"stylesheet\" href=\"/lbadmin/static/lbha.css\">"));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));  // nothing from elsewhere
  EXPECT_THAT(html, HasSubstr("operator (read only)"));
}

TEST(web_overview_page, json_carries_the_fragment_and_lbctl_status) {
  const auto json = render_overview_json(testing::seed_overview(), admin);
  EXPECT_THAT(json, HasSubstr("\"schema\": \"lbha.webui.overview.v1\""));
  EXPECT_THAT(json, HasSubstr("\"html\": \"<section class=\\\"ha\\\">"));
  EXPECT_THAT(json, HasSubstr("\"schema\": \"lbha.status.v1\""));
}

// The page weight: 100 services of 4 real servers each render into
// one table with every row (the time is recorded, not asserted: this
// machine's load is not the test's business).
TEST(web_overview_page, renders_a_hundred_services) {
  auto view = testing::seed_overview();
  auto& services = *view.proxy->mutable_virtual_services();
  const auto model = services[0];
  services.Clear();
  for (int i = 0; i < 100; ++i) {
    auto* s = services.Add();
    *s = model;
    s->set_label("VIP" + std::to_string(i));
    *s->add_real_servers() = model.real_servers(0);
    *s->add_real_servers() = model.real_servers(1);
  }
  const auto start = std::chrono::steady_clock::now();
  const auto html = render_overview_page(view, admin, "lb1", {});
  const auto json = render_overview_json(view, admin);
  const auto took = std::chrono::steady_clock::now() - start;
  ::testing::Test::RecordProperty(
      "render_us",
      std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
  ::testing::Test::RecordProperty("page_bytes", std::to_string(html.size()));
  size_t rows = 0;
  for (auto at = html.find("<tr class=\"rip"); at != std::string::npos;
       at = html.find("<tr class=\"rip", at + 1))
    ++rows;
  EXPECT_EQ(rows, 400u);
  EXPECT_THAT(html, HasSubstr("<td>VIP99</td>"));
  EXPECT_THAT(json, HasSubstr("VIP99"));
}

TEST(web_login_page, escapes_the_user_and_the_message) {
  const auto html = render_login_page("lb1", "\"><script>", "wrong <password>");
  EXPECT_THAT(html, HasSubstr("value=\"&quot;&gt;&lt;script&gt;\""));
  EXPECT_THAT(html, HasSubstr("<p class=\"error\">wrong &lt;password&gt;</p>"));
  EXPECT_THAT(html, HasSubstr("<form method=\"post\" action=\"/lbadmin/login\""));
  EXPECT_THAT(html, Not(HasSubstr("Log out")));
}

}  // namespace
}  // namespace lbha::web
