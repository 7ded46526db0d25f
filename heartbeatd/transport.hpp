// transport: the heartbeat paths, UDP.
//
// Path i is local_addresses[i] <-> peer_addresses[i]: its own socket bound to
// its own source address, so the peer sees each path's heartbeats arrive from
// that path's address and counts them on that path (a heartbeat that left
// through another path's socket would carry the wrong source and keep a dead
// path looking alive). Without local_addresses every path of a family shares
// one wildcard socket and the kernel picks the source. A datagram is reported
// with the path whose peer address it came from, or no_path.
//
// udp_port is the seam: asio_udp_port is the kernel's, the test double
// (tests/heartbeatd/doubles.hpp) records sends and delivers datagrams.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"

namespace lbha::heartbeat {

class udp_port {
 public:
  using handler = std::function<void(std::span<const std::uint8_t> datagram,
                                     const asio::ip::udp::endpoint& from)>;
  virtual ~udp_port() = default;
  virtual result<void> send_to(std::span<const std::uint8_t> datagram,
                               const asio::ip::udp::endpoint& to) = 0;
  virtual void close() = 0;
};

// Opens a UDP socket bound to `local`; `on_datagram` sees every datagram it receives.
using udp_opener = std::function<result<std::unique_ptr<udp_port>>(
    const asio::ip::udp::endpoint& local, udp_port::handler on_datagram)>;

udp_opener asio_udp_opener(asio::io_context& io);

class transport {
 public:
  // `path` is no_path for a sender that is not a configured peer address.
  using handler = std::function<void(std::size_t path, std::span<const std::uint8_t> datagram,
                                     const asio::ip::udp::endpoint& from)>;
  static constexpr std::size_t no_path = static_cast<std::size_t>(-1);

  transport(udp_opener open, std::vector<asio::ip::udp::endpoint> peers,
            std::vector<asio::ip::address> locals, handler on_datagram);
  ~transport() { close(); }

  result<void> open();
  void close();
  bool is_open() const { return !ports_.empty(); }

  // `datagram` to path `path`'s peer through that path's socket. Each path gets its own
  // datagram: one sequence number sent twice would be a replay on the second path.
  result<void> send(std::size_t path, std::span<const std::uint8_t> datagram);

  std::size_t path_count() const { return peers_.size(); }
  const std::vector<asio::ip::udp::endpoint>& peers() const { return peers_; }

 private:
  void receive(std::span<const std::uint8_t> datagram, const asio::ip::udp::endpoint& from);

  udp_opener open_;
  std::vector<asio::ip::udp::endpoint> peers_;
  std::vector<asio::ip::address> locals_;
  handler on_datagram_;
  std::vector<std::unique_ptr<udp_port>> ports_;
  std::vector<std::size_t> port_of_path_;  // index into ports_, per path
};

}  // namespace lbha::heartbeat
