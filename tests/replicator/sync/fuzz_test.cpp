// Randomized decoder robustness over a committed corpus (corpus/*.bin):
// mutated messages fed in random chunks must never crash or read out of
// bounds (run under -DLBHA_SANITIZE=ON to check the latter), and a valid
// stream must decode the same however it is split.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>

#include "replicator/sync/sync_node.hpp"
#include "tests/support/build_tree.hpp"

#ifndef LBHA_SYNC_CORPUS
#error "LBHA_SYNC_CORPUS must name the corpus directory"
#endif

namespace lbha::sync {
namespace {

// A plain-TCP peer (a HAProxy without ssl) connects: accepted, then secured as plain.
std::optional<connection_id> accept_plain(sync_node& node, const std::string& address) {
  auto id = node.accepted(address);
  if (id && !node.secured(*id, false)) return std::nullopt;
  return id;
}

std::vector<bytes> load_corpus() {
  std::vector<bytes> out;
  for (const auto& f : std::filesystem::directory_iterator(test_support::in_build_tree(LBHA_SYNC_CORPUS))) {
    std::ifstream in(f.path(), std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

std::unique_ptr<sync_node> make_node(const clock& c) {
  node_settings s;
  s.local_name = "stickd";
  s.peers = {{.name = "hap1", .addresses = {"127.0.0.1"}, .port = 17788, .plain = true}};
  s.tables = {{.name = "be_app", .key = key_type::ipv4, .expire_ms = 1800000, .servers = {"s1", "s2"}},
              {.name = "web6", .key = key_type::ipv6, .expire_ms = 1800000,
               .servers = {"rs1", "rs2", "rs3"}}};
  return std::make_unique<sync_node>(s, c);
}

connection_id open_session(sync_node& node) {
  const auto id = accept_plain(node, "127.0.0.1");
  const std::string hello = "HAProxyS 2.1\nstickd\nhap1 1 1\n";
  node.received(*id, byte_view(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()));
  node.take_outputs();
  return *id;
}

// Feeds `data` in random-sized chunks; returns false if the session was closed.
bool feed(sync_node& node, connection_id id, const bytes& data, std::mt19937& rng) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t n = std::min<std::size_t>(data.size() - pos, 1 + rng() % 40);
    node.received(id, byte_view(data).subspan(pos, n));
    pos += n;
  }
  bool closed = false;
  for (auto& [cid, last] : node.take_closing()) closed |= cid == id;
  node.take_outputs();
  return !closed;
}

bytes mutate(const std::vector<bytes>& corpus, std::mt19937& rng) {
  bytes m = corpus[rng() % corpus.size()];
  const int ops = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < ops; ++i) {
    switch (rng() % 6) {
      case 0:
        if (!m.empty()) m[rng() % m.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        if (!m.empty()) m[rng() % m.size()] = static_cast<std::uint8_t>(rng());
        break;
      case 2:
        if (!m.empty()) m.resize(rng() % m.size());
        break;
      case 3: {
        const auto& other = corpus[rng() % corpus.size()];
        m.insert(m.begin() + static_cast<std::ptrdiff_t>(m.empty() ? 0 : rng() % m.size()),
                 other.begin(), other.end());
        break;
      }
      case 4:
        for (int k = static_cast<int>(rng() % 8); k >= 0; --k) {
          m.insert(m.begin() + static_cast<std::ptrdiff_t>(m.empty() ? 0 : rng() % m.size()),
                   static_cast<std::uint8_t>(rng()));
        }
        break;
      case 5: {
        // Interesting varint bytes: thresholds and continuation markers.
        static const std::uint8_t special[] = {0x00, 0x7f, 0x80, 0xef, 0xf0, 0xff};
        if (!m.empty()) m[rng() % m.size()] = special[rng() % std::size(special)];
        break;
      }
    }
  }
  return m;
}

TEST(fuzz, corpus_is_valid_and_decodes_the_same_in_any_chunking) {
  const auto corpus = load_corpus();
  ASSERT_GE(corpus.size(), 7u);
  manual_clock clock;
  std::mt19937 rng(7);
  std::ifstream in(test_support::in_build_tree(LBHA_SYNC_CORPUS) / "session_ipv4.bin", std::ios::binary);
  const bytes session((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (int round = 0; round < 200; ++round) {
    auto node = make_node(clock);
    const auto id = open_session(*node);
    ASSERT_TRUE(feed(*node, id, session, rng));
    const auto got = node->take_remote_changes();
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0].key, (bytes{127, 0, 0, 9}));
    EXPECT_EQ(got[0].server, "s1");
    EXPECT_EQ(got[1].key, (bytes{127, 0, 0, 10}));
    EXPECT_EQ(got[1].server, "s1");
    EXPECT_EQ(got[2].server, "s2");
    EXPECT_EQ(got[2].expires_in_ms, 30000u);
    EXPECT_EQ(got[3].key, (bytes{127, 0, 0, 12}));
    EXPECT_EQ(got[3].server, "s2");
    EXPECT_FALSE(node->resync_pending());
  }
  for (const auto& c : corpus) {
    auto node = make_node(clock);
    EXPECT_TRUE(feed(*node, open_session(*node), c, rng)) << "corpus entry of " << c.size() << " bytes";
  }
}

TEST(fuzz, mutated_streams_never_crash_the_node) {
  const auto corpus = load_corpus();
  manual_clock clock;
  std::mt19937 rng(12345);
  auto node = make_node(clock);
  auto id = open_session(*node);
  std::size_t closed = 0;
  for (int i = 0; i < 50000; ++i) {
    const bytes m = mutate(corpus, rng);
    if (!feed(*node, id, m, rng)) {
      ++closed;
      id = open_session(*node);
    }
    node->take_remote_changes();
    if (i % 1000 == 0) {
      clock.advance(std::chrono::seconds(1));
      node->tick();
      node->take_outputs();
      node->take_closing();
      node->take_dials();
    }
  }
  // Mutations break some streams (closed with an error) and leave others valid.
  EXPECT_GT(closed, 100u);
  EXPECT_LT(closed, 50000u);
}

TEST(fuzz, random_bytes_against_the_raw_decoders) {
  std::mt19937 rng(99);
  const table_definition defs[] = {
      {.table_id = 1, .name = "a", .key = key_type::ipv4, .key_length = 4},
      {.table_id = 2, .name = "b", .key = key_type::ipv6, .key_length = 16},
      {.table_id = 3, .name = "c", .key = key_type::string, .key_length = 32,
       .data_types = server_data_types | (1u << 3) | (1u << 4)},
      {.table_id = 4, .name = "d", .key = key_type::integer, .key_length = 4}};
  rx_dictionary dict;
  for (int i = 0; i < 200000; ++i) {
    bytes data(rng() % 48);
    for (auto& x : data) x = static_cast<std::uint8_t>(rng());
    frame f;
    parse_frame(data, 64, f);
    table_definition def;
    decode_definition(data, def);
    ack_message ack;
    decode_ack(data, ack);
    update_message u;
    if (decode_update(data, static_cast<std::uint8_t>(0x80 + rng() % 7), defs[rng() % 4],
                      static_cast<std::uint32_t>(rng()), dict, u)) {
      // Whatever decodes respects the key layout.
      EXPECT_LE(u.key.size(), 32u);
    }
  }
}

}  // namespace
}  // namespace lbha::sync
