// The primary's side of pairing and replication, as blocking operations.
//
// Each call is one whole operation (pair, unpair, commit+push, catch-up check)
// that reads the state files, talks to the peer over the ssh_client seam and
// writes files. replicatord runs them one at a time on its worker thread, which
// makes the worker the single writer of cluster.yaml and the pairing files on
// this node; tests call them directly with an in-process ssh double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lbha/v1/replication.pb.h"
#include "common/state/pending_pairing.hpp"
#include "replicator/pairing/local_daemons.hpp"
#include "replicator/pairing/node_context.hpp"
#include "replicator/pairing/pairing_state.hpp"
#include "replicator/pairing/ssh_client.hpp"
#include "replicator/pairing/wire.hpp"

namespace lbha::pairing {

struct peer_check {
  bool attempted = false;  // false when not paired as primary: nothing to check
  bool reachable = false;
  bool in_sync = false;
  std::uint64_t peer_generation = 0;
  std::uint64_t local_generation = 0;  // this node's config, what a push sends
  std::string message;
  std::optional<lbha::v1::NodeResult> push;  // set when the check pushed the current config
};

class replication_ops {
 public:
  replication_ops(node_context node, ssh_client& ssh, local_daemons& daemons);

  // The peer sshd's host key, read before any authentication (lbctl pair shows it).
  result<host_key_info> peer_host_key(const std::string& address);
  // Pairs with request.peer_address. Refuses unless the peer's host key is
  // request.expected_fingerprint, checked before anything is written and again
  // when connecting for the password login (before the password is sent).
  // The password is used for one SSH login and dropped. A pairing cut short
  // is kept in <state>/pairing.pending and offered again by the next call to
  // the same peer, so the retry finishes the same pairing.
  lbha::v1::ReplicationResult pair(const lbha::v1::PairRequest& request);
  lbha::v1::ReplicationResult unpair(bool local_only);
  // Commits `proposed` here (generation + 1), records it in the history with
  // `origin` and `summary` ("" = computed here) and pushes it to the secondary.
  // A secondary whose reply carries a higher term took over: this node follows it.
  lbha::v1::ReplicationResult push(lbha::v1::ClusterConfig proposed, bool dry_run,
                                   const std::string& origin = "commit",
                                   const std::string& summary = "");
  // A new commit whose content is `generation` from the history.
  lbha::v1::ReplicationResult rollback(std::uint64_t generation, bool dry_run);
  // On a secondary: become the config authority with term max(config term,
  // heartbeatd's term) + 1 and commit the current config as generation + 1
  // under it. Refused while the primary answers (its sshd answers, or
  // `primary_heard` by heartbeatd) unless `force`.
  lbha::v1::ReplicationResult take_over(bool force, bool primary_heard);
  // Primary: asks the secondary for its generation and pushes the current
  // config when it is behind; follows it when it took over (higher term).
  // Secondary that holds a pin of its primary (it was the primary before the
  // peer took over; the peer has no key to push to it): fetches the primary's
  // config when it is newer. Otherwise nothing to do.
  peer_check catch_up();

  // What the files say: pairing, pin, local generation (no network).
  lbha::v1::ReplicationStatus local_status() const;

  const node_context& node() const { return node_; }

 private:
  ssh_target peer_target(const std::string& address) const;
  ssh_credentials key_credentials() const;
  // Sends one request with this node's key to the paired peer.
  result<receive_reply> send_with_key(const state::pairing_identity& identity,
                                      const lbha::v1::ReceiveRequest& request);
  // The pending pairing to offer `fingerprint`'s host: the one left by an
  // earlier attempt to the same host, or a new one (written to pairing.pending).
  result<state::pending_pairing> pending_for(const std::string& fingerprint, bool& fresh);
  lbha::v1::NodeResult lock_peer_password(const state::pairing_identity& identity);
  // `peer_term`: the term the peer's reply carried (0 when none came back).
  lbha::v1::NodeResult push_to_peer(const state::pairing_identity& identity,
                                    const lbha::v1::ClusterConfig& config,
                                    const std::string& summary, std::uint64_t* peer_term);
  // The peer took over (or is the primary this secondary follows): fetch its
  // config, apply it and, when this node still calls itself the primary, become
  // its secondary. Nothing is pushed from here.
  lbha::v1::NodeResult follow_peer(const state::pairing_identity& identity);

  node_context node_;
  state::state_files files_;
  ssh_client& ssh_;
  local_daemons& daemons_;
};

}  // namespace lbha::pairing
