// link_filter: classic BPF programs for heartbeatd's LAN-facing sockets.
//
// ARP, neighbour discovery and ICMP sockets sit on the VIP interface, where any
// host on the LAN can send to them, and they are read on the real-time thread
// that also sends heartbeats. Every frame the kernel does not filter out costs
// that thread a wakeup, so each socket carries a socket filter
// (SO_ATTACH_FILTER) that lets through only what heartbeatd acts on:
//
//   arp     an Ethernet/IPv4 ARP packet whose sender or target protocol address
//           is one of our IPv4 VIPs (re-attached when the VIP set changes)
//   nd      an ICMPv6 neighbour solicitation or advertisement whose target is
//           one of our IPv6 VIPs
//   echo    an ICMP echo reply carrying our identifier (raw IPv4 socket: from
//           one of our ping nodes; raw ICMPv6 socket: type and identifier)
//
// The programs are pure data and unit-tested by running them on sample frames
// (tests/heartbeatd/link_filter_test.cpp); attach() is the only I/O.
// Offsets: an AF_PACKET SOCK_DGRAM socket's filter sees the ARP payload from
// byte 0; a raw ICMPv6 socket's the ICMPv6 message; a raw IPv4 socket's the IP
// header, then the ICMP message.
#pragma once

#include <linux/filter.h>
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"

namespace lbha::heartbeat {

using bpf_program = std::vector<sock_filter>;

// Beyond this many addresses a program would need jumps past 255 instructions:
// the filter then checks the packet kind only (userspace still checks addresses).
inline constexpr std::size_t max_filtered_addresses = 24;

bpf_program arp_filter(const std::vector<asio::ip::address_v4>& vips);
bpf_program nd_filter(const std::vector<asio::ip::address_v6>& vips);
// `ident` is ignored on a ping (SOCK_DGRAM) socket, where the kernel matches it.
bpf_program echo_reply_filter_v4(bool raw, std::uint16_t ident,
                                 const std::vector<asio::ip::address_v4>& sources);
bpf_program echo_reply_filter_v6(bool raw, std::uint16_t ident);

// The per-wakeup budget of every LAN-facing socket: read at most this many
// frames, then wait again, so a flood that passes the filter still leaves the
// io_context (and the heartbeat timer) a turn between batches.
inline constexpr int frames_per_wakeup = 32;

// What a LAN-facing socket counts beyond what it acts on (GetStatus `link_dropped`).
// Frames the filter rejects never reach userspace and are not counted.
struct socket_counters {
  std::uint64_t ignored = 0;        // passed the filter, then dropped by the userspace checks
  std::uint64_t budget_yields = 0;  // wakeups that ended with the budget spent
  std::uint64_t queue_drops = 0;    // the kernel's: the receive queue was full (SO_RXQ_OVFL)
};

// Enables SO_RXQ_OVFL on `fd`; `read_queue_drops` takes the kernel's count from a
// received message's control data.
result<void> count_queue_drops(int fd);
void read_queue_drops(const msghdr& msg, socket_counters& counters);

// One frame from the non-blocking `fd` into `buffer`: its length, or -1 with
// errno (EAGAIN: drained). The sender goes to `from` (`from_size` bytes), the
// ancillary data to `control`, left in `msg` for a CMSG walk, and the kernel's
// queue-drop count to `counters`.
ssize_t receive_frame(int fd, std::span<std::uint8_t> buffer, void* from, socklen_t from_size,
                      std::span<std::uint8_t> control, msghdr& msg, socket_counters& counters);

// SO_ATTACH_FILTER on `fd` (replacing any filter attached before).
result<void> attach(int fd, const bpf_program& program);

}  // namespace lbha::heartbeat
