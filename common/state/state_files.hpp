// The files of a node's state dir (node.yaml's `state_dir`, default
// /var/lib/lbha) that more than one process reads: their paths, and the read
// and write steps every format below shares. The formats are in README.md
// next to this file; each has one parser and one writer:
//
//   pairing         pairing_file.hpp     replicatord writes; heartbeatd, replicatord read
//   heartbeat.key   heartbeat_keys.hpp   replicatord writes (0600); heartbeatd, replicatord read
//   peer_host_key   pairing_file.hpp     replicatord (primary only)
//   heartbeat.term  term_file.hpp        heartbeatd
//   id_ed25519      (OpenSSH format)     replicatord's SSH key to the peer
//   pair.pem        pair_certificate.hpp replicatord writes (0600); syncd reads (peers-protocol TLS)
//   pairing.pending pending_pairing.hpp  replicatord (primary, 0600) while a pairing is unfinished
//
// A missing file is a state ("not paired"), not an error: readers return
// nullopt for it. Every write is atomic (common/atomic_file).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/state/errc.hpp"

namespace lbha::state {

struct state_files {
  explicit state_files(std::filesystem::path state_dir) : dir(std::move(state_dir)) {}

  std::filesystem::path pairing() const { return dir / "pairing"; }
  std::filesystem::path heartbeat_key() const { return dir / "heartbeat.key"; }
  std::filesystem::path term() const { return dir / "heartbeat.term"; }
  std::filesystem::path peer_host_key() const { return dir / "peer_host_key"; }
  std::filesystem::path node_key() const { return dir / "id_ed25519"; }
  std::filesystem::path pair_certificate() const { return dir / "pair.pem"; }
  std::filesystem::path pending_pairing() const { return dir / "pairing.pending"; }

  std::filesystem::path dir;
};

// The text of `path`, nullopt when it does not exist; errc::unreadable otherwise.
result<std::optional<std::string>> read_if_exists(const std::filesystem::path& path);

// The text of a secret (mode 0600) file, nullopt when it does not exist;
// errc::insecure_mode when group or others may read it ("chmod 600").
result<std::optional<std::string>> read_secret_if_exists(const std::filesystem::path& path);

// Creates the directory if needed and writes atomically; errc::unwritable.
result<void> write_state_file(const std::filesystem::path& path, std::string_view content,
                              mode_t mode);

// errc::garbled, "<path>: <what>".
error garbled(const std::filesystem::path& path, std::string_view what);

}  // namespace lbha::state
