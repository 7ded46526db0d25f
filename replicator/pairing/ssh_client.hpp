// The SSH seam: run one command on the peer with some bytes on its stdin.
//
// Every exchange with the peer (pair, push, status, unpair) is one session:
// connect, check the host key, authenticate, exec, send stdin, read stdout and
// the exit status, disconnect. One session per exchange keeps failure handling
// simple (nothing half-open to recover) and costs one handshake, a few ms on a LAN.
//
// libssh_client is the implementation. It blocks, so replicatord calls it only
// from its worker thread (replicator.hpp). Tests use a double that runs the
// receiver in-process.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "replicator/pairing/errc.hpp"

namespace lbha::pairing {

struct ssh_target {
  std::string host;
  std::uint16_t port = 22;
  std::string user;
};

struct ssh_credentials {
  std::optional<std::string> password;  // pairing only; never logged or stored
  std::filesystem::path private_key;     // used when no password is given
};

struct exec_result {
  std::string fingerprint;  // "SHA256:..." of the peer's host key
  int exit_status = -1;
  std::string out;
  std::string err;
  // Where the time went, for the push log line and bench/replication.
  std::chrono::microseconds connect_time{0};  // TCP + version exchange + key exchange
  std::chrono::microseconds auth_time{0};
  std::chrono::microseconds command_time{0};  // channel, exec, stdin, reply (sshd + receiver)
};

struct host_key_info {
  std::string fingerprint;  // "SHA256:<base64>", as ssh-keygen -l prints it
  std::string key_type;     // "ssh-ed25519", ...
};

class ssh_client {
 public:
  virtual ~ssh_client() = default;

  // Connects, reads the peer's host key and disconnects before any
  // authentication: what `lbctl pair` shows the operator to confirm.
  virtual result<host_key_info> host_key(const ssh_target& target) = 0;

  // `pinned`: when set, the peer's host key must have this fingerprint or the
  // session ends before authentication (the password is never sent), with
  // errc::host_key_mismatch naming both fingerprints.
  virtual result<exec_result> exec(const ssh_target& target, const ssh_credentials& credentials,
                                   const std::optional<std::string>& pinned,
                                   const std::string& command, const std::string& input) = 0;
};

class libssh_client final : public ssh_client {
 public:
  explicit libssh_client(std::chrono::seconds timeout = std::chrono::seconds(10))
      : timeout_(timeout) {}

  result<host_key_info> host_key(const ssh_target& target) override;

  result<exec_result> exec(const ssh_target& target, const ssh_credentials& credentials,
                           const std::optional<std::string>& pinned, const std::string& command,
                           const std::string& input) override;

 private:
  std::chrono::seconds timeout_;
};

// Loads <path> (an OpenSSH ed25519 private key), generating it with
// ssh_pki_generate (mode 0600) when missing. Returns "ssh-ed25519 <base64>".
result<std::string> ensure_node_key(const std::filesystem::path& path);

}  // namespace lbha::pairing
