// Attacks on heartbeatd's LAN-facing sockets (issue 14, label `lab`): performed
// for real from another namespace on the lab bridge with raw packet sockets,
// against the two-node pair of ha_pair.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "heartbeatd/arp.hpp"
#include "tests/heartbeatd/lab/ha_pair.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::heartbeat::lab_tests {
namespace {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;
using lab::wait_until;

class lan_attack : public lab::lab_test {
 protected:
  ha_pair& make_pair(pair_options o = {}) {
    auto& l = make_lab({.lb_nodes = 2, .servers = 1, .clients = 1});
    pair_ = std::make_unique<ha_pair>(l, o);
    return *pair_;
  }
  void TearDown() override {
    pair_.reset();
    lab::lab_test::TearDown();
  }
  std::unique_ptr<ha_pair> pair_;
};

mac_address parse_mac(const std::string& text) {
  mac_address m{};
  unsigned b[6];
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6)
    for (int i = 0; i < 6; ++i) m[i] = static_cast<std::uint8_t>(b[i]);
  return m;
}

// The attacker: an AF_PACKET socket on `node`'s eth0 that sends raw ARP frames.
class arp_attacker {
 public:
  arp_attacker(const lab::lab& l, const std::string& node) {
    fd_ = lab::make_socket(l.at(node).netns, AF_PACKET, SOCK_DGRAM, htons(ETH_P_ARP));
    ifindex_ = std::stoi(l.exec_checked(node, {"cat", "/sys/class/net/eth0/ifindex"}).out);
  }
  ~arp_attacker() { ::close(fd_); }
  bool send(const arp_packet& p, const mac_address& to) {
    const auto bytes = encode_arp(p);
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ARP);
    ll.sll_ifindex = ifindex_;
    ll.sll_halen = 6;
    std::memcpy(ll.sll_addr, to.data(), 6);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ll),
                    sizeof ll) == static_cast<ssize_t>(bytes.size());
  }

 private:
  int fd_ = -1;
  int ifindex_ = 0;
};

const mac_address attacker_mac{0x02, 0xba, 0xd0, 0, 0, 0x66};
const mac_address broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

TEST_F(lan_attack, arp_flood_at_the_active_node_for_30s_delays_no_heartbeat) {
  auto& p = make_pair();
  ASSERT_EQ(p.wait_single_owner(5s), 1);
  auto& l = p.lab();
  const auto vip = asio::ip::make_address_v4(p.vip());
  const auto lb1_mac = parse_mac(p.mac(l.lb(1).name));
  const auto before = p.status(1).link_dropped();

  // Unicast at lb1, as fast as one thread can: requests about the VIP (they pass the
  // socket filter and cost a read), RFC 5227 probes of the VIP (lb1 defends, rate-limited)
  // and ARP about other addresses (the kernel's filter drops them).
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sent{0};
  std::thread flood([&] {
    arp_attacker attacker(l, l.client(1).name);
    arp_packet about_vip;
    about_vip.op = 1;
    about_vip.sender_mac = attacker_mac;
    about_vip.sender_ip = asio::ip::make_address_v4(l.client(1).ipv4);
    about_vip.target_ip = vip;
    const auto probe_vip = probe(vip, attacker_mac);
    arp_packet other = about_vip;
    for (std::uint32_t i = 0; !stop; ++i) {
      other.target_ip = asio::ip::address_v4(0xc6336400u + (i & 0xff));  // 198.51.100.x
      const arp_packet& frame = i % 3 == 0 ? about_vip : i % 3 == 1 ? probe_vip : other;
      if (attacker.send(frame, lb1_mac)) ++sent;
    }
  });
  // Watch the passive node through the whole flood: it must always hear lb1 in time.
  std::int64_t worst_age = 0;
  bool role_changed = false;
  const auto end = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < end) {
    const auto s2 = p.status(2);
    worst_age = std::max(worst_age, s2.last_heartbeat_age_ms());
    if (s2.role() != v1::ROLE_PASSIVE || !s2.peer_alive() || p.status(1).role() != v1::ROLE_ACTIVE)
      role_changed = true;
    std::this_thread::sleep_for(100ms);
  }
  stop = true;
  flood.join();
  EXPECT_GT(sent.load(), 100'000u) << "not much of a flood";
  EXPECT_FALSE(role_changed);
  EXPECT_LT(worst_age, 500) << "a heartbeat later than warntime during the flood";
  EXPECT_EQ(p.status(1).takeovers(), 1u);
  EXPECT_EQ(p.status(2).takeovers(), 0u);
  EXPECT_TRUE(p.holds_vip(1));
  EXPECT_FALSE(p.holds_vip(2));
  // The counters show the flood: batches cut short by the budget, or frames the
  // kernel dropped when the queue was full.
  const auto after = p.status(1).link_dropped();
  const auto grew = [&](const char* k) { return after.at(k) - before.at(k); };
  EXPECT_GT(grew("arp_budget_yields") + grew("arp_queue_drops"), 0u)
      << "yields " << grew("arp_budget_yields") << ", queue drops " << grew("arp_queue_drops");
}

TEST_F(lan_attack, forged_garp_for_the_vip_at_a_lone_active_node_keeps_the_vip) {
  auto& p = make_pair();
  ASSERT_EQ(p.wait_single_owner(5s), 1);
  auto& l = p.lab();
  p.daemon(2).kill();  // lb1 is alone: its peer is silent
  ASSERT_TRUE(wait_until([&] { return !p.status(1).peer_alive(); }, 3s));
  ASSERT_EQ(p.client_reaches(), "lb1");  // the client has an ARP entry for the VIP

  // "The VIP is mine": gratuitous ARP (request and reply mode) from another MAC.
  const auto vip = asio::ip::make_address_v4(p.vip());
  {
    arp_attacker attacker(l, l.server(1).name);
    for (int i = 0; i < 10; ++i) {
      attacker.send(gratuitous(vip, attacker_mac, i % 2 == 1), broadcast);
      std::this_thread::sleep_for(50ms);
    }
  }
  std::this_thread::sleep_for(1s);
  const auto s1 = p.status(1);
  EXPECT_EQ(s1.role(), v1::ROLE_ACTIVE);
  EXPECT_TRUE(s1.vips_held());
  EXPECT_TRUE(p.holds_vip(1));
  EXPECT_GE(s1.conflicts(), 1u);
  EXPECT_GE(s1.link_dropped().at("unproven_conflicts"), 1u);
  // lb1 claimed the VIP back: the client's entry points at lb1 again and it is served.
  const auto lb1_mac = p.mac(l.lb(1).name);
  EXPECT_TRUE(wait_until([&] { return p.client_neighbour_mac() == lb1_mac; }, 3s))
      << p.client_neighbour_mac();
  EXPECT_EQ(p.client_reaches(), "lb1");
}

TEST_F(lan_attack, forged_echo_replies_from_another_host_do_not_stand_in_for_a_silent_ping_node) {
  auto& p = make_pair({.ping_nodes = true});
  ASSERT_EQ(p.wait_single_owner(8s), 1);
  ASSERT_TRUE(p.status(1).ping_ok());
  auto& l = p.lab();
  const auto ping_node = l.server(1).ipv4;

  // The attacker (client1) answers every echo lb1 sends to its ping node, with the
  // right identifier, sequence and payload, from its own address. The test reads
  // lb1's outgoing requests on lb1 itself (ETH_P_ALL: only such a tap sees outgoing
  // frames): an attacker who sees every request and only lacks the ping node's address.
  std::atomic<bool> stop{false};
  std::atomic<int> forged{0}, seen{0}, requests{0};
  const int sniff = lab::make_socket(l.lb(1).netns, AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
  const int raw = lab::make_socket(l.client(1).netns, AF_INET, SOCK_RAW, IPPROTO_ICMP);
  std::thread attacker([&] {
    std::uint8_t buf[2048];
    pollfd pfd{sniff, POLLIN, 0};
    in_addr target{};
    ::inet_pton(AF_INET, ping_node.c_str(), &target);
    while (!stop) {
      if (::poll(&pfd, 1, 100) <= 0) continue;
      sockaddr_ll ll{};
      socklen_t ll_len = sizeof ll;
      const ssize_t n =
          ::recvfrom(sniff, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ll), &ll_len);
      ++seen;
      if (ll.sll_pkttype != PACKET_OUTGOING || ll.sll_protocol != htons(ETH_P_IP)) continue;
      if (n < 28 || (buf[0] >> 4) != 4 || buf[9] != IPPROTO_ICMP) continue;
      if (std::memcmp(buf + 16, &target, 4) != 0) continue;
      const std::size_t ihl = (buf[0] & 0x0f) * 4u;
      if (buf[ihl] != 8) continue;  // an echo request to the ping node
      ++requests;
      std::vector<std::uint8_t> reply(buf + ihl, buf + n);
      reply[0] = 0;  // echo reply, same identifier, sequence and payload
      reply[2] = reply[3] = 0;
      std::uint32_t sum = 0;
      for (std::size_t i = 0; i + 1 < reply.size(); i += 2) sum += reply[i] << 8 | reply[i + 1];
      if (reply.size() % 2) sum += reply.back() << 8;
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      reply[2] = static_cast<std::uint8_t>(~sum >> 8);
      reply[3] = static_cast<std::uint8_t>(~sum);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      std::memcpy(&to.sin_addr, buf + 12, 4);  // back to lb1
      for (int copies = 0; copies < 3; ++copies)
        if (::sendto(raw, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof to) > 0)
          ++forged;
    }
  });
  std::this_thread::sleep_for(1s);     // the forgeries are flowing
  p.lab().partition("lb1", "rs1");  // the real ping node goes silent for lb1
  const bool handed_over = wait_until([&] { return p.holds_vip(2) && !p.holds_vip(1); }, 5s);
  const auto s1 = p.status(1);
  stop = true;
  attacker.join();
  ::close(sniff);
  ::close(raw);
  EXPECT_GT(forged.load(), 10) << "the attack never ran: " << seen << " IP packets seen on lb1, "
                                << requests << " echo requests to the ping node";
  EXPECT_TRUE(handed_over) << "the forged replies kept lb1's ping node 'reachable'";
  EXPECT_FALSE(s1.ping_ok());
  EXPECT_EQ(s1.role(), v1::ROLE_FAULT);
  EXPECT_EQ(p.status(2).role(), v1::ROLE_ACTIVE);
}

}  // namespace
}  // namespace lbha::heartbeat::lab_tests
