// The audits' pure parts (no root): parsing `ip -j` and lbctl JSON, comparing
// two nodes' generations and persistence tables, outages and exit statuses.
#include "tests/lab/audit.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <array>

#include "tests/lab/client_probe.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// `ip -j addr show` in an LB node holding an IPv4 and an IPv6 VIP (iproute2 6.1).
const char* ip_addr_json =
    R"([{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,)"
    R"("addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo",)"
    R"("valid_life_time":4294967295,"preferred_life_time":4294967295}]},)"
    R"({"ifindex":2,"link_index":3,"ifname":"eth0","address":"02:aa:00:00:00:11",)"
    R"("addr_info":[{"family":"inet","local":"192.0.2.11","prefixlen":24,"label":"eth0"},)"
    R"({"family":"inet","local":"192.0.2.100","prefixlen":32,"label":"eth0"},)"
    R"({"family":"inet6","local":"2001:db8::100","prefixlen":128,"nodad":true}]}])";

TEST(audit_parse, addresses_of_every_interface_normalized) {
  EXPECT_EQ(addresses_in_ip_addr(ip_addr_json),
            (std::vector<std::string>{"127.0.0.1", "192.0.2.11", "192.0.2.100", "2001:db8::100"}));
  EXPECT_TRUE(addresses_in_ip_addr("not json").empty());
  EXPECT_TRUE(addresses_in_ip_addr("[]").empty());
}

TEST(audit_parse, neighbour_mac_only_for_an_entry_with_an_lladdr) {
  const std::string neigh =
      R"([{"dst":"192.0.2.100","dev":"eth0","lladdr":"02:aa:00:00:00:11","state":["STALE"]},)"
      R"({"dst":"2001:db8::100","dev":"eth0","state":["FAILED"]}])";
  EXPECT_EQ(neighbour_mac(neigh, "192.0.2.100"), "02:aa:00:00:00:11");
  EXPECT_EQ(neighbour_mac(neigh, "2001:db8::100"), std::nullopt);  // FAILED: no MAC
  EXPECT_EQ(neighbour_mac(neigh, "192.0.2.101"), std::nullopt);
  EXPECT_EQ(neighbour_mac("[]", "192.0.2.100"), std::nullopt);
  EXPECT_EQ(link_mac(R"([{"ifindex":2,"ifname":"eth0","address":"02:aa:00:00:00:11"}])"),
            "02:aa:00:00:00:11");
  EXPECT_EQ(link_mac("[]"), std::nullopt);
}

// `lbctl status --json` as status_view prints it (64-bit integers as strings).
std::string status_json(const char* proxy_generation, const char* ha_generation) {
  std::string json = R"({"schema": "lbha.status.v1", "ha": )";
  json +=
      ha_generation == nullptr
          ? std::string("null")
          : std::string(R"({"node_name": "lb1", "role": "ROLE_ACTIVE", "config_generation": ")") +
                ha_generation + R"(", "peer_config_generation": "0"})";
  json += R"(, "ha_error": "", "proxy": )";
  json += proxy_generation == nullptr ? std::string("null")
                                      : std::string(R"({"generation": ")") + proxy_generation +
                                            R"(", "virtual_services": [], "stick_entries": "0"})";
  json += R"(, "proxy_error": ""})";
  return json;
}

TEST(audit_generation, read_from_status_and_compared_across_nodes) {
  auto lb1 = generations_in_status(status_json("8", "8"));
  ASSERT_TRUE(lb1);
  EXPECT_EQ(lb1->proxy, 8u);
  EXPECT_EQ(lb1->heartbeat, 8u);
  auto lb2 = generations_in_status(status_json("7", "8"));
  ASSERT_TRUE(lb2);
  EXPECT_EQ(compare_generations({{"lb1", *lb1}, {"lb2", *lb1}}), "");
  EXPECT_EQ(compare_generations({{"lb1", *lb1}, {"lb2", *lb2}}),
            "lb1: proxyd 8, heartbeatd 8; lb2: proxyd 7, heartbeatd 8");

  auto no_proxy = generations_in_status(status_json(nullptr, "8"));
  ASSERT_TRUE(no_proxy);
  EXPECT_EQ(no_proxy->proxy, std::nullopt);
  EXPECT_EQ(compare_generations({{"lb1", *lb1}, {"lb2", *no_proxy}}),
            "lb1: proxyd 8, heartbeatd 8; lb2: proxyd did not answer, heartbeatd 8");
  EXPECT_EQ(generations_in_status(""), std::nullopt);
}

// `lbctl persistence show --json` (cli/persistence_command.cpp).
std::string persistence_json(const std::vector<std::array<const char*, 3>>& rows) {
  std::string json = R"({"schema": "lbha.persistence.v1", "entries": [)";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    json += std::string(i ? ",\n  " : "\n  ") + R"({"service": ")" + rows[i][0] +
            R"(", "client": ")" + rows[i][1] + R"(", "server": ")" + rows[i][2] +
            R"(", "expires_in_ms": 1799500})";
  }
  return json + "\n]}\n";
}

TEST(audit_persistence, same_keys_and_servers_pass_and_every_difference_is_named) {
  auto lb1 = parse_persistence(
      persistence_json({{"IIS_VIP", "192.0.2.31", "IIS1"}, {"IIS_VIP", "192.0.2.32", "IIS2"}}));
  auto lb2 = parse_persistence(
      persistence_json({{"IIS_VIP", "192.0.2.31", "IIS2"}, {"IIS_VIP", "2001:db8::31", "IIS1"}}));
  ASSERT_TRUE(lb1 && lb2);
  EXPECT_EQ(lb1->size(), 2u);
  EXPECT_EQ(compare_persistence({{"lb1", *lb1}, {"lb2", *lb1}}), std::vector<std::string>{});
  EXPECT_EQ(compare_persistence({{"lb1", *lb1}, {"lb2", *lb2}}),
            (std::vector<std::string>{"IIS_VIP 192.0.2.31: lb1 IIS1, lb2 IIS2",
                                      "IIS_VIP 192.0.2.32: lb1 IIS2, lb2 missing",
                                      "IIS_VIP 2001:db8::31: lb1 missing, lb2 IIS1"}));
  auto empty = parse_persistence(R"({"schema": "lbha.persistence.v1", "entries": []})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(parse_persistence("lbctl: lbha-proxyd did not answer"), std::nullopt);
}

TEST(audit_daemons, a_crash_signal_is_named_as_a_crash) {
  EXPECT_EQ(describe_exit({.code = 1}), "exit 1");
  EXPECT_EQ(describe_exit({.signal = SIGSEGV}), "signal 11 (SIGSEGV: crashed, a core dump signal)");
  EXPECT_EQ(describe_exit({.signal = SIGABRT}), "signal 6 (SIGABRT: crashed, a core dump signal)");
  EXPECT_EQ(describe_exit({.signal = SIGKILL}), "signal 9 (SIGKILL)");
}

TEST(client_probe_outage, from_the_first_failure_to_the_next_success) {
  const auto t0 = steady::now();
  const auto at = [&](int ms) { return t0 + std::chrono::milliseconds(ms); };
  std::vector<probe_sample> samples{
      {at(0), true, "rs1", ""},           {at(20), false, "", "connect: refused"},
      {at(40), false, "", "timeout"},     {at(300), true, "rs1", ""},
      {at(320), false, "", "timeout"},    {at(360), true, "rs2", ""},
      {at(380), false, "", "connect: x"},
  };
  auto worst = longest_outage(samples, t0, at(400));
  EXPECT_EQ(worst.length, 280ms);
  EXPECT_EQ(worst.from, 20ms);
  EXPECT_EQ(worst.first_error, "connect: refused");
  // An outage still going on counts up to the end.
  EXPECT_EQ(longest_outage(samples, t0, at(1000)).length, 620ms);
  EXPECT_EQ(longest_outage({}, t0, at(100)).length, 0ms);
  EXPECT_EQ(server_of("server rs1\n"), "rs1");
  EXPECT_EQ(server_of("hello"), "");
}

}  // namespace
}  // namespace lbha::lab
