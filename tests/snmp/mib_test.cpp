// LBHA-MIB's values for the seed read, the walk order, and the arcs in
// snmp/mib.hpp against deploy/snmp/LBHA-MIB.txt as net-snmp's parser
// places them (and smilint's verdict on the file), when the tools are
// installed (Debian snmp and smitools: scripts/install-deps).
#include "snmp/mib.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "tests/snmp/reads.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha::snmp {
namespace {

using mib::node_object;
using mib::rs_column;
using mib::vs_column;

TEST(mib, values_of_the_seed_read) {
  const auto values = mib::values_of(status_of(test_reads::seed()));
  const auto at = [&](const oid& id) {
    const auto found = values.find(id);
    EXPECT_NE(found, values.end()) << to_string(id);
    return found == values.end() ? value{} : found->second;
  };
  EXPECT_EQ(to_string(mib::scalar(node_object::name)), "1.3.6.1.3.6694.1.1.1.0");
  EXPECT_EQ(at(mib::scalar(node_object::name)), value{std::string("lb1")});
  EXPECT_EQ(at(mib::scalar(node_object::ha_role)), value{integer32{3}});     // active
  EXPECT_EQ(at(mib::scalar(node_object::peer_role)), value{integer32{2}});   // passive
  EXPECT_EQ(at(mib::scalar(node_object::peer_alive)), value{integer32{1}});  // true
  EXPECT_EQ(at(mib::scalar(node_object::standalone)), value{integer32{2}});  // false
  EXPECT_EQ(at(mib::scalar(node_object::config_generation)), value{gauge32{7}});
  EXPECT_EQ(at(mib::scalar(node_object::replicatord_up)), value{integer32{1}});

  EXPECT_EQ(to_string(mib::vs_cell(vs_column::name, 1)), "1.3.6.1.3.6694.1.2.1.2.1");
  EXPECT_EQ(at(mib::vs_cell(vs_column::name, 1)), value{std::string("DA_VIP")});
  EXPECT_EQ(at(mib::vs_cell(vs_column::ip, 1)), value{std::string("192.0.2.10")});
  EXPECT_EQ(at(mib::vs_cell(vs_column::ports, 1)), value{std::string("443")});
  EXPECT_EQ(at(mib::vs_cell(vs_column::protocol, 1)), value{std::string("tcp")});
  EXPECT_EQ(at(mib::vs_cell(vs_column::current_connections, 1)), value{gauge32{3}});
  EXPECT_EQ(at(mib::vs_cell(vs_column::total_connections, 1)), value{counter64{5'000'000'000}});
  EXPECT_EQ(at(mib::vs_cell(vs_column::state, 1)), value{integer32{2}});  // degraded

  EXPECT_EQ(to_string(mib::rs_cell(rs_column::name, 1, 3)), "1.3.6.1.3.6694.1.3.1.2.1.3");
  EXPECT_EQ(at(mib::rs_cell(rs_column::name, 1, 3)), value{std::string("RIP3")});
  EXPECT_EQ(at(mib::rs_cell(rs_column::ip, 1, 1)), value{std::string("198.51.100.11")});
  EXPECT_EQ(at(mib::rs_cell(rs_column::port, 1, 1)), value{gauge32{443}});
  EXPECT_EQ(at(mib::rs_cell(rs_column::weight, 1, 1)), value{gauge32{100}});
  EXPECT_EQ(at(mib::rs_cell(rs_column::current_connections, 1, 1)), value{gauge32{2}});
  EXPECT_EQ(at(mib::rs_cell(rs_column::total_connections, 1, 1)), value{counter64{40}});
  EXPECT_EQ(at(mib::rs_cell(rs_column::state, 1, 2)), value{integer32{2}});  // down
  EXPECT_EQ(at(mib::rs_cell(rs_column::state, 1, 3)), value{integer32{3}});  // drain
  EXPECT_EQ(at(mib::rs_cell(rs_column::check_up, 1, 3)), value{integer32{1}});
  EXPECT_EQ(at(mib::rs_cell(rs_column::backup, 1, 3)), value{integer32{2}});
  // 11 scalars, 7 columns of one service, 9 columns of three servers.
  EXPECT_EQ(values.size(), 11u + 7u + 27u);
  EXPECT_EQ(values.count(mib::previous_role()), 0u) << "accessible-for-notify only";
}

TEST(mib, a_walk_goes_column_by_column) {
  const auto values = mib::values_of(status_of(test_reads::seed()));
  std::vector<std::string> servers_in_walk_order;
  for (const auto& [id, v] : values) {
    // lbhaObjects.3: the real server table.
    if (id.size() == 12 && id[7] == 3) servers_in_walk_order.push_back(to_string(id));
  }
  ASSERT_GE(servers_in_walk_order.size(), 4u);
  EXPECT_EQ(servers_in_walk_order[0], "1.3.6.1.3.6694.1.3.1.2.1.1");  // lbhaRsName.1.1
  EXPECT_EQ(servers_in_walk_order[1], "1.3.6.1.3.6694.1.3.1.2.1.2");  // lbhaRsName.1.2
  EXPECT_EQ(servers_in_walk_order[3], "1.3.6.1.3.6694.1.3.1.3.1.1");  // lbhaRsIp.1.1
}

TEST(mib, a_gauge_stops_at_its_maximum) {
  auto read = test_reads::seed();
  read.overview.proxy->mutable_virtual_services(0)->set_current_connections(1ull << 40);
  const auto values = mib::values_of(status_of(read));
  EXPECT_EQ(values.at(mib::vs_cell(vs_column::current_connections, 1)),
            value{gauge32{4294967295u}});
}

// The output of a shell command (fixed arguments only), nullopt when the
// tool is not installed.
std::optional<std::string> tool_output(const std::string& tool, const std::string& command) {
  if (std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) != 0) return std::nullopt;
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  ::pclose(pipe);
  return out;
}

std::string mib_path() {
  const auto source = test_support::in_build_tree(LBHA_SOURCE_DIR);
  return (source / "deploy/snmp").string() + ":" + (source / "tests/snmp/mibs").string();
}

TEST(mib, the_arcs_are_the_mib_files) {
  const std::vector<std::pair<std::string, oid>> named{
      {"lbhaRoleChange", mib::role_change},
      {"lbhaRealServerDown", mib::real_server_down},
      {"lbhaRealServerUp", mib::real_server_up},
      {"lbhaNodeName.0", mib::scalar(node_object::name)},
      {"lbhaHaRole.0", mib::scalar(node_object::ha_role)},
      {"lbhaHaPeerRole.0", mib::scalar(node_object::peer_role)},
      {"lbhaHaPeerAlive.0", mib::scalar(node_object::peer_alive)},
      {"lbhaHaStandalone.0", mib::scalar(node_object::standalone)},
      {"lbhaHaVipsHeld.0", mib::scalar(node_object::vips_held)},
      {"lbhaConfigGeneration.0", mib::scalar(node_object::config_generation)},
      {"lbhaHeartbeatdUp.0", mib::scalar(node_object::heartbeatd_up)},
      {"lbhaProxydUp.0", mib::scalar(node_object::proxyd_up)},
      {"lbhaSyncdUp.0", mib::scalar(node_object::syncd_up)},
      {"lbhaReplicatordUp.0", mib::scalar(node_object::replicatord_up)},
      {"lbhaVsName.4", mib::vs_cell(vs_column::name, 4)},
      {"lbhaVsIp.4", mib::vs_cell(vs_column::ip, 4)},
      {"lbhaVsPorts.4", mib::vs_cell(vs_column::ports, 4)},
      {"lbhaVsProtocol.4", mib::vs_cell(vs_column::protocol, 4)},
      {"lbhaVsCurrentConns.4", mib::vs_cell(vs_column::current_connections, 4)},
      {"lbhaVsTotalConns.4", mib::vs_cell(vs_column::total_connections, 4)},
      {"lbhaVsState.4", mib::vs_cell(vs_column::state, 4)},
      {"lbhaRsName.4.5", mib::rs_cell(rs_column::name, 4, 5)},
      {"lbhaRsIp.4.5", mib::rs_cell(rs_column::ip, 4, 5)},
      {"lbhaRsPort.4.5", mib::rs_cell(rs_column::port, 4, 5)},
      {"lbhaRsWeight.4.5", mib::rs_cell(rs_column::weight, 4, 5)},
      {"lbhaRsCurrentConns.4.5", mib::rs_cell(rs_column::current_connections, 4, 5)},
      {"lbhaRsTotalConns.4.5", mib::rs_cell(rs_column::total_connections, 4, 5)},
      {"lbhaRsState.4.5", mib::rs_cell(rs_column::state, 4, 5)},
      {"lbhaRsCheckUp.4.5", mib::rs_cell(rs_column::check_up, 4, 5)},
      {"lbhaRsBackup.4.5", mib::rs_cell(rs_column::backup, 4, 5)},
      {"lbhaHaPreviousRole.0", mib::previous_role()},
  };
  std::string names;
  std::string expected;
  for (const auto& [name, id] : named) {
    names += " LBHA-MIB::" + name;
    expected += "." + to_string(id) + "\n";
  }
  const auto out =
      tool_output("snmptranslate", "snmptranslate -M+" + mib_path() + " -m LBHA-MIB -On" + names);
  if (!out) GTEST_SKIP() << "snmptranslate is not installed (Debian snmp)";
  // The OIDs only: snmptranslate puts an empty line after each, and net-snmp
  // says "Created directory: /var/lib/snmp/cert_indexes" on a machine's first run.
  std::string lines;
  for (std::size_t at = 0, end; at < out->size(); at = end + 1) {
    end = out->find('\n', at);
    if (end == std::string::npos) end = out->size();
    if (end > at && (*out)[at] == '.') lines += out->substr(at, end - at) + "\n";
  }
  EXPECT_EQ(lines, expected);
}

TEST(mib, the_file_passes_smilint_and_net_snmp) {
  const auto file = test_support::in_build_tree(LBHA_SOURCE_DIR) / "deploy/snmp/LBHA-MIB.txt";
  const auto tree = tool_output(
      "snmptranslate", "snmptranslate -M+" + mib_path() + " -m LBHA-MIB -Tp -Pe LBHA-MIB::lbhaMIB");
  if (!tree) GTEST_SKIP() << "snmptranslate is not installed (Debian snmp)";
  EXPECT_THAT(*tree, ::testing::HasSubstr("+--lbhaRealServerUp(3)"));
  EXPECT_THAT(*tree, ::testing::Not(::testing::HasSubstr("Cannot"))) << *tree;
  const auto lint =
      tool_output("smilint", "SMIPATH=" + mib_path() + " smilint -l 6 -s '" + file.string() + "'");
  if (!lint) GTEST_SKIP() << "smilint is not installed (Debian smitools)";
  EXPECT_EQ(*lint, "") << "smilint at level 6 says nothing";
}

}  // namespace
}  // namespace lbha::snmp
