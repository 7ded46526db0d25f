// lbctl's check of a transparent service's policy routing: the pure reading
// of `ip -j` output, and the warnings with a fake `ip`.
#include "cli/transparent_routing.hpp"

#include <gtest/gtest.h>

#include <map>

namespace lbha::cli {
namespace {

namespace v1 = lbha::v1;

// As `ip -j -4 rule show` and `ip -j -4 route show table all` print them on a
// node set up per README "Transparent mode" (captured from iproute2 6.1).
const std::string rules_with_mark =
    R"([{"priority":0,"src":"all","table":"local"},{"priority":32765,"src":"all","fwmark":"0x1","table":"100"},)"
    R"({"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}])";
const std::string rules_without_mark =
    R"([{"priority":0,"src":"all","table":"local"},{"priority":32766,"src":"all","table":"main"},)"
    R"({"priority":32767,"src":"all","table":"default"}])";
const std::string routes_with_local_default =
    R"([{"type":"local","dst":"default","dev":"lo","table":"100","scope":"host","flags":[]},)"
    R"({"type":"local","dst":"127.0.0.1","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]}])";
const std::string routes_without =
    R"([{"type":"local","dst":"127.0.0.1","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},)"
    R"({"dst":"default","gateway":"192.0.2.1","dev":"eth0","table":"100","flags":[]}])";

TEST(policy_routing, a_fwmark_rule_into_a_table_with_a_local_default_route_is_enough) {
  EXPECT_EQ(policy_routing_problem(rules_with_mark, routes_with_local_default, false), "");
  // A mark with a mask and a table by name.
  EXPECT_EQ(
      policy_routing_problem(
          R"([{"priority":100,"src":"all","fwmark":"0x1/0x1","table":"tproxy"}])",
          R"([{"type":"local","dst":"0.0.0.0/0","dev":"lo","table":"tproxy","flags":[]}])", false),
      "");
  EXPECT_EQ(policy_routing_problem(
                R"([{"priority":100,"src":"all","fwmark":"0x1","table":"100"}])",
                R"([{"type":"local","dst":"::/0","dev":"lo","table":"100","flags":[]}])", true),
            "");
}

TEST(policy_routing, says_which_half_is_missing) {
  EXPECT_EQ(policy_routing_problem(rules_without_mark, routes_with_local_default, false),
            "no `ip rule` with a fwmark (e.g. ip rule add fwmark 1 lookup 100)");
  EXPECT_EQ(policy_routing_problem(rules_with_mark, routes_without, false),
            "no fwmark rule's table has a local default route (e.g. ip route add local "
            "0.0.0.0/0 dev lo table 100)");
  // The local default route in another table than the rule's does not count.
  EXPECT_NE(policy_routing_problem(
                rules_with_mark,
                R"([{"type":"local","dst":"default","dev":"lo","table":"200","flags":[]}])", false),
            "");
  EXPECT_EQ(policy_routing_problem("", "", true),
            "no `ip -6 rule` with a fwmark (e.g. ip -6 rule add fwmark 1 lookup 100)");
  EXPECT_EQ(policy_routing_problem("not json", "[]", false), "could not read the output of ip -j");
}

v1::VirtualService service(const std::string& label, const std::string& ip, bool transparent) {
  v1::VirtualService vs;
  vs.set_label(label);
  vs.set_ip(ip);
  vs.set_transparent(transparent);
  return vs;
}

TEST(transparent_routing_warnings, asks_ip_only_for_the_families_of_transparent_services) {
  v1::ClusterConfig config;
  *config.add_virtual_services() = service("PLAIN", "192.0.2.100", false);
  *config.add_virtual_services() = service("T4", "192.0.2.101", true);
  *config.add_virtual_services() = service("T4B", "192.0.2.102", true);
  std::map<std::string, int> asked;
  const ip_runner ip = [&](const std::vector<std::string>& args) -> result<std::string> {
    std::string line;
    for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
    ++asked[line];
    return line.find("rule") != std::string::npos ? rules_without_mark : routes_with_local_default;
  };
  const auto warnings = transparent_routing_warnings(config, ip);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "transparent T4, T4B: the real servers' replies will not reach proxyd on this node: "
            "no `ip rule` with a fwmark (e.g. ip rule add fwmark 1 lookup 100); see \"Transparent "
            "mode\" in the lbha README");
  EXPECT_EQ(asked, (std::map<std::string, int>{{"-j -4 route show table all", 1},
                                               {"-j -4 rule show", 1}}));

  // With the routing in place: nothing to say.
  const ip_runner ready = [&](const std::vector<std::string>& args) -> result<std::string> {
    return args[2] == "rule" ? rules_with_mark : routes_with_local_default;
  };
  EXPECT_TRUE(transparent_routing_warnings(config, ready).empty());

  // No transparent service: ip is not run at all.
  asked.clear();
  config.mutable_virtual_services(1)->set_transparent(false);
  config.mutable_virtual_services(2)->set_transparent(false);
  EXPECT_TRUE(transparent_routing_warnings(config, ip).empty());
  EXPECT_TRUE(asked.empty());
}

TEST(transparent_routing_warnings, an_ip_that_fails_is_a_warning_too) {
  v1::ClusterConfig config;
  *config.add_virtual_services() = service("T6", "2001:db8::10", true);
  const ip_runner broken = [](const std::vector<std::string>&) -> result<std::string> {
    return error(std::errc::no_such_file_or_directory, "no ip program (iproute2)");
  };
  const auto warnings = transparent_routing_warnings(config, broken);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("transparent T6: "), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("no ip program (iproute2)"), std::string::npos) << warnings[0];
}

TEST(run_ip, runs_iproute2_and_returns_its_json) {
  auto rules = run_ip({"-j", "-4", "rule", "show"});
  if (!rules && rules.error().message().find("no ip program") != std::string::npos) {
    GTEST_SKIP() << "iproute2 is not installed";
  }
  ASSERT_TRUE(rules) << rules.error().message();
  // Every network namespace has the local and main tables' rules.
  EXPECT_NE(rules.value().find("\"table\":\"local\""), std::string::npos) << rules.value();
  auto bad = run_ip({"-j", "rule", "frobnicate"});
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace lbha::cli
