// The ping node check: is our side of the network alive?
//
// Every round (default 200 ms) it sends one ICMP echo to each ICMP ping node
// and starts a TCP connect to each TCP ping node (a refused connect proves
// reachability too); the round is good when any answered before the next
// round starts. ping_tracker turns rounds into a state with hysteresis and
// on_change fires only when that state flips.
//
// ICMP uses an unprivileged SOCK_DGRAM ICMP socket when the kernel allows it
// (net.ipv4.ping_group_range), else a raw socket (root). Runs on the daemon's
// io_context; stop() closes everything so the io_context drains.
//
// Only the ping node's own answer counts: an echo reply from the address we
// asked, with our identifier, this round's sequence and our payload (a socket
// filter, link_filter.hpp, drops other ICMP in the kernel; at most
// frames_per_wakeup replies are read per wakeup); anything else is counted in
// counters().ignored. A TCP ping counts only the connect of the socket it
// opened to that node, in this round.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <sys/socket.h>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "heartbeatd/link_filter.hpp"
#include "heartbeatd/ping_tracker.hpp"

namespace lbha::heartbeat {

struct ping_target {
  asio::ip::address address;
  bool tcp = false;
  std::uint16_t port = 0;
};

class pinger {
 public:
  pinger(asio::io_context& io, std::vector<ping_target> targets, std::chrono::milliseconds round,
         std::function<void(bool reachable)> on_change, int rise = 2, int fall = 3);
  ~pinger();

  result<void> start();
  void stop();
  const socket_counters& counters() const { return counters_; }

 private:
  struct icmp_socket {
    std::unique_ptr<asio::posix::stream_descriptor> fd;
    bool raw = false;
    bool v6 = false;
    std::uint16_t ident = 0;  // ours (raw) or the kernel's for this ping socket
  };
  result<void> open_icmp(bool v6);
  void do_round();
  void do_receive(icmp_socket& s);
  void drain(icmp_socket& s);
  bool from_ping_node(const sockaddr_storage& from) const;
  void send_echo(icmp_socket& s, const ping_target& t);
  void finish_round();

  asio::io_context& io_;
  std::vector<ping_target> targets_;
  std::chrono::milliseconds round_;
  std::function<void(bool)> on_change_;
  ping_tracker tracker_;
  asio::steady_timer timer_;
  std::optional<icmp_socket> v4_, v6_;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> connects_;
  std::uint16_t ident_;
  std::uint16_t seq_ = 0;
  bool answered_ = false;
  bool stopped_ = false;
  socket_counters counters_;
};

}  // namespace lbha::heartbeat
