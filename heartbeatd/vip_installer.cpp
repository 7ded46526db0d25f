#include "heartbeatd/vip_installer.hpp"

#include <algorithm>

#include "common/logging.hpp"

namespace lbha::heartbeat {

std::vector<ip_address> vips_of(const v1::ClusterConfig& cluster) {
  std::vector<ip_address> out;
  for (const auto& vs : cluster.virtual_services()) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(vs.ip(), ec);
    if (!ec && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  return out;
}

result<std::vector<ip_address>> release_vips(address_table& table,
                                             const std::vector<ip_address>& present,
                                             const std::vector<ip_address>& vips) {
  std::vector<ip_address> removed;
  for (const auto& v : vips) {
    if (std::find(present.begin(), present.end(), v) == present.end()) continue;
    if (auto r = table.remove(v); !r) return r.error().prefixed("remove VIP " + v.to_string());
    removed.push_back(v);
  }
  return removed;
}

void vip_installer::add() {
  for (const auto& v : vips_) {
    if (auto r = table_.add(v); !r)
      get_logger("heartbeatd")->error("cannot add VIP {}: {}", v.to_string(), r.error().message());
  }
  held_ = true;
}

void vip_installer::remove() {
  for (const auto& v : vips_) {
    if (auto r = table_.remove(v); !r)
      get_logger("heartbeatd")
          ->error("cannot remove VIP {}: {}", v.to_string(), r.error().message());
  }
  held_ = false;
}

void vip_installer::set_vips(std::vector<ip_address> vips) {
  if (!held_) {
    vips_ = std::move(vips);
    return;
  }
  // Only the difference: re-adding a held VIP would be a needless address
  // change (an RTM_NEWADDR for every VIP on every reload).
  for (const auto& v : vips_)
    if (std::find(vips.begin(), vips.end(), v) == vips.end()) (void)table_.remove(v);
  for (const auto& v : vips) {
    if (contains(v)) continue;
    if (auto r = table_.add(v); !r)
      get_logger("heartbeatd")->error("cannot add VIP {}: {}", v.to_string(), r.error().message());
  }
  vips_ = std::move(vips);
}

bool vip_installer::has_v6() const {
  return std::any_of(vips_.begin(), vips_.end(), [](const ip_address& a) { return a.is_v6(); });
}

bool vip_installer::contains(const ip_address& a) const {
  return std::find(vips_.begin(), vips_.end(), a) != vips_.end();
}

}  // namespace lbha::heartbeat
