#include "heartbeatd/seams.hpp"

namespace lbha::heartbeat {

daemon_seams real_seams(asio::io_context& io, const lbha::clock& clock) {
  daemon_seams s;
  s.timers = std::make_shared<asio_scheduler>(io, clock);
  s.open_addresses = [](const std::string& interface) -> result<std::unique_ptr<address_table>> {
    auto a = vip_addresses::open(interface);
    if (!a) return a.error().prefixed("interface " + interface);
    return std::unique_ptr<address_table>(std::move(a.value()));
  };
  s.open_link = [&io](int ifindex, link_handlers handlers) {
    return packet_link::open(io, ifindex, std::move(handlers));
  };
  s.open_udp = asio_udp_opener(io);
  s.readiness = [&io](const std::filesystem::path& run_dir) {
    return std::make_unique<proxyd_readiness>(io, run_dir);
  };
  return s;
}

}  // namespace lbha::heartbeat
