// The one door from the SSH login user to the node: <run-dir>/receive.sock.
//
// lbha-receive-config (the forced command, running as the login user) is a
// relay: it reads the framed request (wire.hpp) from its stdin and passes it
// to root's lbha-replicatord on this socket; replicatord runs the receiver
// (validate, commit, write, reload) and answers with the reply line, which the
// relay prints. On the socket, in front of the framed request, one line says
// how the request arrived:
//
//   LBHA-RELAY 1 <restricted|password> <client address or ->\n
//
// `restricted`: the forced command of the primary's key (pairing refused);
// `password`: run from a password login, pairing allowed; the address is the
// SSH client's (SSH_CONNECTION), used for the new key's from=.
//
// The server accepts only that: one relay line, one request, one reply per
// connection, one connection at a time, from a peer whose SO_PEERCRED uid is
// allowed (root or node.yaml's ssh.user); anyone else gets a refusal line
// and a warning in the log, and nothing of theirs is read.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "lbha/v1/replication.pb.h"
#include "replicator/pairing/errc.hpp"
#include "replicator/pairing/wire.hpp"

namespace lbha::pairing {

// <run-dir>/receive.sock
std::filesystem::path receive_socket_path(const std::filesystem::path& run_dir);

struct relay_header {
  bool restricted = true;
  std::string client_address;  // empty: unknown

  bool operator==(const relay_header&) const = default;
};

std::string encode_relay_header(const relay_header& header);  // with its newline
result<relay_header> decode_relay_header(const std::string& line);

// Reads one framed request (header line + body, wire.hpp) from `fd` as raw
// bytes, refusing a header over 256 bytes, a length over max_request_bytes and
// a short body; the digest and the body are checked by decode_request.
result<std::string> read_framed_request(int fd);

// The relay: passes `framed` (as read_framed_request returned it) to the
// server at `socket` and returns its reply. When nothing listens there the
// reply says "lbha-replicatord is not running on <node_name>".
receive_reply relay_request(const std::filesystem::path& socket, const std::string& node_name,
                            const relay_header& header, const std::string& framed,
                            std::chrono::milliseconds timeout = std::chrono::minutes(2));

class receive_server {
 public:
  using handler = std::function<receive_reply(const lbha::v1::ReceiveRequest&, const relay_header&)>;

  struct options {
    std::filesystem::path socket;
    std::set<uid_t> allowed_uids;
    std::optional<gid_t> socket_group;  // the socket's group (mode 0660); unset: leave it
    std::string node_name;              // for the refusal line
    std::chrono::milliseconds read_timeout = std::chrono::seconds(30);
  };

  receive_server(options opts, handler handle);
  ~receive_server();
  receive_server(const receive_server&) = delete;
  receive_server& operator=(const receive_server&) = delete;

  // Binds the socket (replacing a stale one), sets its owner and mode, starts the thread.
  result<void> start();
  // Wakes the thread, joins it, removes the socket it bound. Idempotent.
  void stop();

  int refused() const { return refused_.load(); }
  int served() const { return served_.load(); }

 private:
  void run();
  void serve(int fd);

  options opts_;
  handler handle_;
  int listen_fd_ = -1;
  bool bound_ = false;  // the socket file is ours to remove
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<int> refused_{0};
  std::atomic<int> served_{0};
};

}  // namespace lbha::pairing
