// A proxyd restart that keeps every connection (`systemctl restart`, a
// package upgrade): the stopping proxyd leaves its listening sockets, its
// open sessions' sockets and a record of each session (ProxyHandover, in
// proxy.proto: the bytes it had received and not yet passed on, half-closes,
// the real server) in the fd_store; the next proxyd takes them over before
// it opens anything: the same listeners (connections that arrived between
// the two queued in them), the same sessions on the same real servers, and
// the persistence table.
//
// Here: writing that record and the sockets to the store, and on the next
// start reading them back and matching each socket to its record by its
// addresses. The engine (engine::hand_over, engine::start) decides what goes
// in and what a record becomes.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "lbha/v1/proxy.pb.h"
#include "proxy/fd_store.hpp"

namespace lbha::proxy {

inline constexpr const char* handover_state_name = "lbha-proxyd-state";
inline constexpr const char* handover_listener_name = "lbha-proxyd-listener";
inline constexpr const char* handover_socket_name = "lbha-proxyd-socket";

// Writes every byte of `bytes` to `fd` (a memfd, a pipe with room for them).
result<void> write_all(int fd, std::string_view bytes);

v1::HandedEndpoint handed(const asio::ip::tcp::endpoint& e);
std::optional<asio::ip::tcp::endpoint> endpoint_of(const v1::HandedEndpoint& e);
// The socket's own address and its peer's; nullopt when the kernel has none
// (the peer reset it meanwhile: ENOTCONN).
std::optional<asio::ip::tcp::endpoint> local_endpoint(int fd);
std::optional<asio::ip::tcp::endpoint> peer_endpoint(int fd);

// Writes `state` into a memfd and hands it, the listeners and the session
// sockets to `store`. The caller keeps and closes its own descriptors.
result<void> leave_handover(fd_store& store, const v1::ProxyHandover& state,
                            std::span<const int> listeners, std::span<const int> sockets);

// What a start inherited. Owns the descriptors: those not taken are closed
// when it is destroyed.
class received_handover {
 public:
  received_handover() = default;
  received_handover(received_handover&&) noexcept;
  received_handover& operator=(received_handover&&) noexcept;
  ~received_handover();

  const v1::ProxyHandover& state() const { return state_; }
  // A listening socket bound to `at`, or -1; the caller owns it then.
  int take_listener(const asio::ip::tcp::endpoint& at);
  // The connected socket with these addresses, or -1; the caller owns it then.
  int take_socket(const v1::HandedEndpoint& local, const v1::HandedEndpoint& peer);
  std::size_t listeners_left() const { return listeners_.size(); }
  std::size_t sockets_left() const { return sockets_.size(); }

 private:
  friend result<std::optional<received_handover>> receive_handover(named_fds inherited);
  using key = std::pair<asio::ip::tcp::endpoint, asio::ip::tcp::endpoint>;
  v1::ProxyHandover state_;
  std::multimap<asio::ip::tcp::endpoint, int> listeners_;
  std::map<key, int> sockets_;
};

// After a start took the descriptors over: the store forgets its copies.
void forget_handover(fd_store& store);

// Reads what leave_handover() left: nullopt when `inherited` holds no
// handover (a first start); an error when the record is there but unreadable
// (every descriptor is closed then). Descriptors it does not know are closed.
result<std::optional<received_handover>> receive_handover(named_fds inherited);

}  // namespace lbha::proxy
