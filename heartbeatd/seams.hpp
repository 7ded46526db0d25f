// daemon_seams: everything through which heartbeat_daemon touches the kernel
// or another daemon, passed in so a unit test can build the whole daemon on
// a manual clock with test doubles (tests/heartbeatd/doubles.hpp) and no root.
//
//   timers      every timer (scheduler.hpp)
//   addresses   rtnetlink, VIPs on the interface (vip_addresses.hpp)
//   link        AF_PACKET / ICMPv6: ARP and neighbour discovery (link_socket.hpp)
//   udp         heartbeat sockets (transport.hpp)
//   readiness   the local proxyd's readiness (readiness.hpp)
//
// real_seams() builds the kernel's; the ping node check (pinger) and the
// notify hooks stay real: a test configures neither.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "heartbeatd/link_socket.hpp"
#include "heartbeatd/readiness.hpp"
#include "heartbeatd/scheduler.hpp"
#include "heartbeatd/transport.hpp"
#include "heartbeatd/vip_addresses.hpp"

namespace lbha::heartbeat {

struct daemon_seams {
  std::shared_ptr<scheduler> timers;
  std::function<result<std::unique_ptr<address_table>>(const std::string& interface)>
      open_addresses;
  std::function<result<std::unique_ptr<link_socket>>(int ifindex, link_handlers handlers)>
      open_link;
  udp_opener open_udp;
  std::function<std::unique_ptr<readiness_source>(const std::filesystem::path& run_dir)>
      readiness;
};

daemon_seams real_seams(asio::io_context& io, const lbha::clock& clock);

}  // namespace lbha::heartbeat
