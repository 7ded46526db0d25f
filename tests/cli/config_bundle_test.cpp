// The backup bundle of lbctl config backup / restore: round trip, and every
// kind of bad bundle refused with file, line and key before anything is used.
#include "cli/config_bundle.hpp"

#include <gtest/gtest.h>

#include "cli/config_edit.hpp"
#include "common/state/heartbeat_keys.hpp"
#include "common/state/pair_certificate.hpp"
#include "common/state/pairing_file.hpp"

namespace lbha::cli {
namespace {

v1::ClusterConfig cluster() {
  v1::ClusterConfig config;
  EXPECT_EQ(add_vip(config, "DA_VIP", {{"ip", "192.0.2.101"}, {"ports", "9001"}}), "");
  EXPECT_EQ(add_rip(config, "DA_VIP", "DA1", {{"ip", "192.0.2.31"}}), "");
  config::apply_defaults(config);
  config.set_generation(12);
  config.set_term(3);
  return config;
}

std::string node_yaml() {
  v1::NodeConfig node;
  node.set_node_name("lb1");
  node.set_interface("eth0");
  config::apply_defaults(node);
  return config::to_yaml(node);
}

config_bundle bundle_with_keys() {
  config_bundle bundle;
  bundle.created_at = "2026-12-07T01:00:00Z";
  bundle.node = "lb1";
  bundle.cluster = cluster();
  bundle.node_yaml = node_yaml();
  state::pairing_identity id;
  id.cluster_id = "00112233445566778899aabbccddeeff";
  id.role = state::node_role::primary;
  id.local_node_id = 1;
  id.local_node_name = "lb1";
  id.peer_node_id = 2;
  id.peer_node_name = "lb2";
  id.peer_addresses = {"192.0.2.2"};
  bundle.state_files["pairing"] = state::to_yaml(id);
  state::heartbeat_key key;
  key.id = 7;
  key.secret.assign(32, 0x5a);
  bundle.state_files["heartbeat.key"] = state::to_text(std::vector<state::heartbeat_key>{key});
  bundle.state_files["pair.pem"] =
      state::to_text(state::make_pair_certificate(id.cluster_id).value());
  bundle.state_files["peer_host_key"] = "SHA256:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ\n";
  bundle.state_files["id_ed25519"] =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
      "-----END OPENSSH PRIVATE KEY-----\n";
  return bundle;
}

TEST(config_bundle, round_trip_keeps_cluster_node_yaml_and_state_files) {
  const auto bundle = bundle_with_keys();
  const std::string text = to_text(bundle);
  EXPECT_NE(text.find("format: lbha-backup/1"), std::string::npos) << text;
  auto parsed = parse_bundle(text, "backup.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message() << "\n" << text;
  EXPECT_EQ(parsed.value().cluster.SerializeAsString(), bundle.cluster.SerializeAsString());
  EXPECT_EQ(parsed.value().cluster.generation(), 12u);
  EXPECT_EQ(parsed.value().cluster.term(), 3u);
  EXPECT_EQ(parsed.value().node_yaml, bundle.node_yaml);
  EXPECT_EQ(parsed.value().state_files, bundle.state_files);
  EXPECT_EQ(parsed.value().node, "lb1");
  EXPECT_TRUE(parsed.value().has_secrets());

  auto without = bundle;
  without.state_files.clear();
  auto plain = parse_bundle(to_text(without), "backup.yaml");
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_FALSE(plain.value().has_secrets());
  EXPECT_EQ(to_text(without).find("heartbeat.key"), std::string::npos);
}

// Replaces the first `from` in the bundle's text.
std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The one line of the bundle's text that holds `needle`, 1-based.
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

TEST(config_bundle, a_bad_bundle_is_refused_naming_line_and_key) {
  const std::string good = to_text(bundle_with_keys());

  auto errors = bundle_errors(with(good, "lbha-backup/1", "lbha-backup/9"), "b.yaml");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "format");
  EXPECT_NE(errors[0].message.find("is not lbha-backup/1"), std::string::npos);

  // An invalid value inside the embedded cluster.yaml: its line in the bundle.
  const std::string bad_weight = with(good, "weight: 100", "weight: 900");
  errors = bundle_errors(bad_weight, "b.yaml");
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].file, "b.yaml");
  EXPECT_EQ(errors[0].line, line_of(bad_weight, "weight: 900"));
  EXPECT_NE(errors[0].key.find("cluster.cluster.yaml.virtual_services[0].real_servers[0].weight"),
            std::string::npos)
      << errors[0].to_string();

  errors = bundle_errors(with(good, "generation: 12\n", "generation: 11\n"), "b.yaml");
  ASSERT_EQ(errors.size(), 1u) << errors[0].to_string();
  EXPECT_EQ(errors[0].key, "cluster.generation");

  errors = bundle_errors(with(good, "interface: eth0", "interface: [eth0"), "b.yaml");
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].key.rfind("node_files.node.yaml", 0), 0u) << errors[0].to_string();

  errors =
      bundle_errors(with(good, "heartbeat.key: |", "heartbeat.key: |\n    7 zz\n  x: |"), "b.yaml");
  bool key_named = false;
  for (const auto& e : errors) key_named = key_named || e.key == "node_files.heartbeat.key";
  EXPECT_TRUE(key_named);

  errors = bundle_errors(with(good, "pairing: |", "shadow: |\n    x\n  pairing: |"), "b.yaml");
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].key, "node_files.shadow");

  errors = bundle_errors("format: [", "b.yaml");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_FALSE(parse_bundle("just text", "b.yaml"));
}

TEST(config_bundle, state_files_come_with_their_pairing_or_not_at_all) {
  auto bundle = bundle_with_keys();
  bundle.state_files.erase("pairing");
  auto errors = bundle_errors(to_text(bundle), "b.yaml");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "node_files.pairing");
}

}  // namespace
}  // namespace lbha::cli
