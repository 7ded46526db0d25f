// Network faults as nftables rules in the switch namespace.
//
// Every fault is a drop rule in one `bridge` family table (`lbha_lab`) on the
// switch's forward hook, matched on the bridge ports a frame enters and
// leaves by. Matching ports rather than addresses cuts everything between two
// nodes at layer 2 (ARP included, and VIPs that move between nodes), while
// both still reach every other node. A fault can be narrowed to one UDP or
// TCP port (cut only the heartbeat, UDP 6694) and made probabilistic
// (`numgen random mod 100 < N`: random loss). No br_netfilter is needed: the
// bridge family hooks see bridged frames directly.
//
// render_ruleset is pure, so the rules are unit-tested without root. The lab
// applies the whole table atomically (`nft -f -`) after every change: healing
// one fault is re-rendering without it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lbha::lab {

inline constexpr const char* fault_table = "lbha_lab";

enum class transport { udp, tcp };

struct port_match {
  transport proto = transport::udp;
  std::uint16_t port = 0;

  // "udp/6694", "tcp/80"; nullopt for anything else.
  static std::optional<port_match> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const port_match&) const = default;
};

struct fault_scope {
  std::optional<port_match> port{};  // only frames with this source or destination port
  bool one_way = false;              // only frames from the first node to the second
};

struct fault {
  int id = 0;
  std::string from{};  // switch port (= node name) frames enter by
  std::string to{};    // switch port frames leave by; empty: any other node
  fault_scope scope{};
  int drop_percent = 100;  // 100: partition; less: random loss

  // "lb1 <-> lb2 udp/6694 drop 100%" for logs and `lbha-lab faults`.
  std::string to_string() const;
  bool operator==(const fault&) const = default;
};

// The nft script that replaces the lab's table with exactly `faults`.
std::string render_ruleset(const std::vector<fault>& faults);

// The nft script that removes the lab's table, whether or not it exists.
std::string render_flush();

}  // namespace lbha::lab
