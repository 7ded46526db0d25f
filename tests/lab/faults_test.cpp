#include "tests/lab/faults.hpp"

#include <gtest/gtest.h>

namespace lbha::lab {
namespace {

TEST(port_match, parses_protocol_and_port) {
  const auto m = port_match::parse("udp/6694");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->proto, transport::udp);
  EXPECT_EQ(m->port, 6694);
  EXPECT_EQ(port_match::parse("tcp/80")->proto, transport::tcp);
  EXPECT_EQ(m->to_string(), "udp/6694");
}

TEST(port_match, rejects_malformed_text) {
  for (const char* bad :
       {"", "udp", "6694", "icmp/1", "udp/", "udp/0", "udp/65536", "udp/12x", "tcp/-1"}) {
    EXPECT_FALSE(port_match::parse(bad).has_value()) << bad;
  }
}

TEST(render_ruleset, without_faults_is_an_empty_accepting_chain) {
  EXPECT_EQ(render_ruleset({}),
            "table bridge lbha_lab {}\n"
            "delete table bridge lbha_lab\n"
            "table bridge lbha_lab {\n"
            "  chain forward {\n"
            "    type filter hook forward priority 0; policy accept;\n"
            "  }\n"
            "}\n");
}

TEST(render_ruleset, a_partition_drops_both_directions_by_bridge_port) {
  const std::string script = render_ruleset({fault{.id = 1, .from = "lb1", .to = "lb2"}});
  EXPECT_NE(script.find("    iifname \"lb1\" oifname \"lb2\" drop comment \"fault 1\"\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("    iifname \"lb2\" oifname \"lb1\" drop comment \"fault 1\"\n"),
            std::string::npos)
      << script;
}

TEST(render_ruleset, a_one_way_port_fault_matches_source_and_destination_port) {
  const std::string script =
      render_ruleset({fault{.id = 7,
                            .from = "lb1",
                            .to = "lb2",
                            .scope = {.port = port_match{transport::udp, 6694}, .one_way = true},
                            .drop_percent = 100}});
  EXPECT_NE(script.find("iifname \"lb1\" oifname \"lb2\" udp dport 6694 drop comment \"fault 7\""),
            std::string::npos);
  EXPECT_NE(script.find("iifname \"lb1\" oifname \"lb2\" udp dport != 6694 udp sport 6694 drop "
                        "comment \"fault 7\""),
            std::string::npos);
  EXPECT_EQ(script.find("iifname \"lb2\""), std::string::npos) << "one way only";
}

TEST(render_ruleset, loss_uses_numgen_and_an_empty_peer_matches_every_port) {
  const std::string script = render_ruleset(
      {fault{.id = 2, .from = "client1", .to = "", .scope = {}, .drop_percent = 30}});
  EXPECT_NE(
      script.find("    iifname \"client1\" numgen random mod 100 < 30 drop comment \"fault 2\"\n"),
      std::string::npos)
      << script;
  EXPECT_NE(
      script.find("    oifname \"client1\" numgen random mod 100 < 30 drop comment \"fault 2\"\n"),
      std::string::npos)
      << script;
}

TEST(fault, describes_itself) {
  EXPECT_EQ((fault{.id = 3,
                   .from = "lb1",
                   .to = "lb2",
                   .scope = {.port = port_match{transport::tcp, 7778}}})
                .to_string(),
            "#3 lb1 <-> lb2 tcp/7778 drop 100%");
  EXPECT_EQ((fault{.id = 4, .from = "lb1", .to = "", .scope = {.one_way = true}, .drop_percent = 5})
                .to_string(),
            "#4 lb1 -> * drop 5%");
}

}  // namespace
}  // namespace lbha::lab
