#include "heartbeatd/vip_addresses.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <ctime>

namespace lbha::heartbeat {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

// Sends `nlh` and reads until its ACK (or, for dumps, NLMSG_DONE), calling `cb` per message.
result<void> transact(mnl_socket* nl, nlmsghdr* nlh, unsigned port_id, mnl_cb_t cb, void* data) {
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return last_error();
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  const unsigned seq = nlh->nlmsg_seq;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) return last_error();
    int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, port_id, cb, data);
    if (r < 0) return last_error();
    if (r == MNL_CB_STOP) return success();
  }
}

}  // namespace

result<std::unique_ptr<vip_addresses>> vip_addresses::open(const std::string& interface) {
  const unsigned index = ::if_nametoindex(interface.c_str());
  if (index == 0) return last_error();
  mnl_socket* nl = mnl_socket_open(NETLINK_ROUTE);
  if (!nl) return last_error();
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    auto ec = last_error();
    mnl_socket_close(nl);
    return ec;
  }
  return std::unique_ptr<vip_addresses>(new vip_addresses(nl, static_cast<int>(index), interface));
}

vip_addresses::vip_addresses(mnl_socket* nl, int ifindex, std::string interface)
    : nl_(nl),
      port_id_(mnl_socket_get_portid(nl)),
      seq_(static_cast<unsigned>(std::time(nullptr))),
      ifindex_(ifindex),
      interface_(std::move(interface)) {}

vip_addresses::~vip_addresses() { mnl_socket_close(nl_); }

result<void> vip_addresses::add(const ip_address& vip) { return change(vip, true); }

result<void> vip_addresses::remove(const ip_address& vip) {
  auto r = change(vip, false);
  if (!r && r.error().code().value() == EADDRNOTAVAIL) return success();  // already gone
  return r;
}

result<void> vip_addresses::change(const ip_address& vip, bool add) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  // CREATE|REPLACE: adding an address that is already there succeeds.
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  nlh->nlmsg_seq = ++seq_;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_index = static_cast<unsigned>(ifindex_);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  if (vip.is_v4()) {
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = 32;
    auto bytes = vip.to_v4().to_bytes();
    mnl_attr_put(nlh, IFA_LOCAL, bytes.size(), bytes.data());
    mnl_attr_put(nlh, IFA_ADDRESS, bytes.size(), bytes.data());
  } else {
    ifa->ifa_family = AF_INET6;
    ifa->ifa_prefixlen = 128;
    auto bytes = vip.to_v6().to_bytes();
    mnl_attr_put(nlh, IFA_ADDRESS, bytes.size(), bytes.data());
    if (add) mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
  }
  return transact(nl_, nlh, port_id_, nullptr, nullptr);
}

namespace {

struct list_state {
  int ifindex;
  std::vector<ip_address> out;
};

int on_address(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<list_state*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (static_cast<int>(ifa->ifa_index) != st->ifindex) return MNL_CB_OK;
  std::array<const nlattr*, 2> found{};  // IFA_LOCAL, IFA_ADDRESS
  mnl_attr_parse(
      nlh, sizeof(*ifa),
      [](const nlattr* attr, void* d) {
        auto& f = *static_cast<std::array<const nlattr*, 2>*>(d);
        if (mnl_attr_get_type(attr) == IFA_LOCAL) f[0] = attr;
        if (mnl_attr_get_type(attr) == IFA_ADDRESS) f[1] = attr;
        return MNL_CB_OK;
      },
      &found);
  const nlattr* a =
      found[0] ? found[0] : found[1];  // IFA_LOCAL is the address on point-to-point links
  if (!a) return MNL_CB_OK;
  const auto len = mnl_attr_get_payload_len(a);
  const auto* p = static_cast<const unsigned char*>(mnl_attr_get_payload(a));
  if (ifa->ifa_family == AF_INET && len == 4) {
    asio::ip::address_v4::bytes_type b;
    std::copy(p, p + 4, b.begin());
    st->out.emplace_back(asio::ip::address_v4(b));
  } else if (ifa->ifa_family == AF_INET6 && len == 16) {
    asio::ip::address_v6::bytes_type b;
    std::copy(p, p + 16, b.begin());
    st->out.emplace_back(asio::ip::address_v6(b));
  }
  return MNL_CB_OK;
}

}  // namespace

result<std::vector<ip_address>> vip_addresses::list() {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  list_state st{ifindex_, {}};
  auto r = transact(nl_, nlh, port_id_, on_address, &st);
  if (!r) return r.error();
  return std::move(st.out);
}

}  // namespace lbha::heartbeat
