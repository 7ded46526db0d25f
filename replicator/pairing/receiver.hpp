// The receiving side of replication: what lbha-receive-config does on the
// secondary with one request from the primary.
//
//   status  report generation, term, cluster id (the primary's catch-up check)
//   config  apply a newer cluster config atomically, then reload local daemons
//           (config_accept.hpp; recorded in the history). A primary takes one
//           only with a higher term: the peer took over, and this node becomes
//           its secondary
//   fetch   (a primary, over the pair key) hand the current config to the node
//           that was the primary before this one took over
//   pair    (password login only) install the primary's key behind the forced
//           command, the heartbeat key, the pairing identity and the config
//   unpair  remove the primary's key and the pairing files
//   lock-password  (after pairing, over the key) lock the SSH login user's
//           password with `usermod -L <ssh.user>`: needs root
//
// A pair offer for the cluster this node is already (or half) paired with,
// from the same primary key, is taken again: that is how a pairing cut after
// this node stored it is finished. Any other cluster is refused.
//
// `restricted` is set when running as the forced command of the primary's key:
// then `pair` is refused, so the key can never re-pair or widen its own access.
// `client_address` is where the SSH connection came from (sshd's
// SSH_CONNECTION, forwarded by lbha-receive-config); a pairing adds it to the
// key's from= beside the addresses the offer names.
// It runs inside root's lbha-replicatord (receive_socket.hpp), never as the
// login user.
// One request runs at a time per node (flock on <state>/receive.lock), so a
// catch-up push racing a new commit cannot interleave their writes.
#pragma once

#include <functional>
#include <string>

#include "lbha/v1/replication.pb.h"
#include "replicator/pairing/local_daemons.hpp"
#include "replicator/pairing/node_context.hpp"
#include "replicator/pairing/wire.hpp"

namespace lbha::pairing {

class receiver {
 public:
  // `forced_command` is the command line installed in authorized_keys when pairing.
  receiver(node_context node, std::string forced_command, local_daemons& daemons);

  receive_reply handle(const lbha::v1::ReceiveRequest& request, bool restricted,
                       const std::string& client_address = "");

  // What lock-password runs; by default `usermod -L <user>` (refused unless root).
  using password_locker = std::function<result<void>(const std::string& user)>;
  void set_password_locker(password_locker locker) { lock_password_ = std::move(locker); }

 private:
  receive_reply do_status();
  receive_reply do_config(const lbha::v1::ClusterConfig& config, const std::string& summary);
  receive_reply do_fetch(const lbha::v1::FetchConfig& request);
  receive_reply do_pair(const lbha::v1::PairOffer& offer, const std::string& client_address);
  receive_reply do_unpair(const lbha::v1::UnpairNotice& notice);
  receive_reply do_lock_password(const lbha::v1::LockPassword& request);
  // authorized_keys holds `public_key` tagged for `cluster_id`: this node took that offer.
  bool holds_pair_key(const std::string& cluster_id, const std::string& public_key) const;
  receive_reply refuse(std::string message);

  node_context node_;
  std::string forced_command_;
  local_daemons& daemons_;
  password_locker lock_password_;
};

// `usermod -L <user>`; errc::refused unless this process is root.
result<void> lock_user_password(const std::string& user);

}  // namespace lbha::pairing
