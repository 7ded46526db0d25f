#include "heartbeatd/transport.hpp"

#include <fmt/format.h>

#include <array>

namespace lbha::heartbeat {

namespace {

class asio_udp_port final : public udp_port {
 public:
  asio_udp_port(asio::io_context& io, handler h) : socket_(io), on_datagram_(std::move(h)) {}
  ~asio_udp_port() override { close(); }

  boost::system::error_code bind(const asio::ip::udp::endpoint& local) {
    boost::system::error_code ec;
    socket_.open(local.protocol(), ec);
    if (!ec && local.address().is_v6()) socket_.set_option(asio::ip::v6_only(true), ec);
    if (!ec) socket_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) socket_.bind(local, ec);
    if (!ec) do_receive();
    return ec;
  }

  result<void> send_to(std::span<const std::uint8_t> datagram,
                       const asio::ip::udp::endpoint& to) override {
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(datagram.data(), datagram.size()), to, 0, ec);  // never blocks long
    if (ec) return error(std::error_code(ec.value(), std::system_category()));
    return success();
  }

  void close() override {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);  // a pending receive ends with operation_aborted
  }

 private:
  void do_receive() {
    socket_.async_receive_from(asio::buffer(buffer_), sender_,
                               [this](boost::system::error_code ec, std::size_t n) {
                                 if (ec == asio::error::operation_aborted || closed_) return;
                                 // A datagram filling the buffer may have been cut: the
                                 // codec drops it as oversized either way.
                                 if (!ec) on_datagram_({buffer_.data(), n}, sender_);
                                 do_receive();
                               });
  }

  asio::ip::udp::socket socket_;
  handler on_datagram_;
  std::array<std::uint8_t, 2048> buffer_{};
  asio::ip::udp::endpoint sender_;
  bool closed_ = false;
};

}  // namespace

udp_opener asio_udp_opener(asio::io_context& io) {
  return [&io](const asio::ip::udp::endpoint& local,
               udp_port::handler h) -> result<std::unique_ptr<udp_port>> {
    auto port = std::make_unique<asio_udp_port>(io, std::move(h));
    if (auto ec = port->bind(local))
      return error(std::error_code(ec.value(), std::system_category()),
                   fmt::format("heartbeat socket {}:{}: {}", local.address().to_string(),
                               local.port(), ec.message()));
    return std::unique_ptr<udp_port>(std::move(port));
  };
}

transport::transport(udp_opener open, std::vector<asio::ip::udp::endpoint> peers,
                     std::vector<asio::ip::address> locals, handler on_datagram)
    : open_(std::move(open)),
      peers_(std::move(peers)),
      locals_(std::move(locals)),
      on_datagram_(std::move(on_datagram)) {}

result<void> transport::open() {
  close();
  const unsigned short port = peers_.empty() ? 0 : peers_.front().port();
  std::vector<asio::ip::udp::endpoint> binds;
  auto bind_for = [&](const asio::ip::address& local) {
    const asio::ip::udp::endpoint ep(local, port);
    for (std::size_t i = 0; i < binds.size(); ++i)
      if (binds[i] == ep) return i;
    binds.push_back(ep);
    return binds.size() - 1;
  };
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    const bool v4 = peers_[i].address().is_v4();
    // Path i's own source; a path without a local address of its family (or with no
    // local_addresses at all) uses the wildcard of the family.
    asio::ip::address local = v4 ? asio::ip::address(asio::ip::address_v4::any())
                                 : asio::ip::address(asio::ip::address_v6::any());
    if (i < locals_.size() && locals_[i].is_v4() == v4) local = locals_[i];
    port_of_path_.push_back(bind_for(local));
  }
  // A local address beyond the peers still receives (a path the peer sends on).
  for (std::size_t i = peers_.size(); i < locals_.size(); ++i) bind_for(locals_[i]);
  for (const auto& ep : binds) {
    auto p = open_(ep, [this](std::span<const std::uint8_t> d, const asio::ip::udp::endpoint& f) {
      receive(d, f);
    });
    if (!p) {
      close();
      return p.error();
    }
    ports_.push_back(std::move(p.value()));
  }
  return success();
}

void transport::close() {
  for (auto& p : ports_) p->close();
  ports_.clear();
  port_of_path_.clear();
}

result<void> transport::send(std::size_t path, std::span<const std::uint8_t> datagram) {
  if (ports_.empty()) return error(std::errc::not_connected, "heartbeat sockets closed");
  return ports_[port_of_path_.at(path)]->send_to(datagram, peers_.at(path));
}

void transport::receive(std::span<const std::uint8_t> datagram,
                        const asio::ip::udp::endpoint& from) {
  std::size_t path = no_path;
  for (std::size_t p = 0; p < peers_.size() && path == no_path; ++p)
    if (peers_[p].address() == from.address()) path = p;
  on_datagram_(path, datagram, from);
}

}  // namespace lbha::heartbeat
