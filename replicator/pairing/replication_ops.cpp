#include "replicator/pairing/replication_ops.hpp"

#include <chrono>

#include "common/logging.hpp"
#include "replicator/pairing/authorized_keys.hpp"
#include "replicator/pairing/config_accept.hpp"
#include "replicator/pairing/config_commit.hpp"
#include "replicator/pairing/config_history.hpp"

namespace lbha::pairing {

namespace {

lbha::v1::ReplicationResult fail(std::string message) {
  lbha::v1::ReplicationResult result;
  result.set_ok(false);
  result.set_message(std::move(message));
  return result;
}

lbha::v1::NodeResult node_result(const std::string& node, bool ok, std::string message,
                                 std::uint64_t generation) {
  lbha::v1::NodeResult r;
  r.set_node(node);
  r.set_ok(ok);
  r.set_message(std::move(message));
  r.set_generation(generation);
  return r;
}

std::string secondary_refusal(const state::pairing_identity& identity) {
  std::string where = identity.peer_addresses.empty() ? "" : " (" + identity.peer_addresses[0] + ")";
  return "this node is the secondary of " + identity.peer_node_name + where +
         "; make config changes on the primary, or break the pair with `lbctl unpair --local`";
}

}  // namespace

replication_ops::replication_ops(node_context node, ssh_client& ssh, local_daemons& daemons)
    : node_(std::move(node)), files_(node_.state_dir), ssh_(ssh), daemons_(daemons) {}

ssh_target replication_ops::peer_target(const std::string& address) const {
  return ssh_target{address, node_.ssh_port, node_.ssh_user};
}

ssh_credentials replication_ops::key_credentials() const {
  return ssh_credentials{std::nullopt, files_.node_key()};
}

result<receive_reply> replication_ops::send_with_key(const state::pairing_identity& identity,
                                                     const lbha::v1::ReceiveRequest& request) {
  auto pinned = state::read_peer_host_key(files_);
  if (!pinned) return pinned.error();
  if (!pinned.value()) {
    return error(errc::refused, "no pinned host key for " + identity.peer_node_name + " in " +
                                    files_.peer_host_key().string() + "; pair again");
  }
  if (identity.peer_addresses.empty())
    return error(errc::refused, "the pairing file has no peer address");
  auto exec = ssh_.exec(peer_target(identity.peer_addresses[0]), key_credentials(),
                        pinned.value(), node_.receive_command, encode_request(request));
  if (!exec && exec.error() == errc::host_key_mismatch) {
    return error(errc::host_key_mismatch,
                 "host key of " + identity.peer_node_name + " changed: " + exec.error().message() +
                     ". If the peer was reinstalled, unpair and pair again");
  }
  if (!exec) return exec.error();
  const auto& r = exec.value();
  const char* kind = request.kind_case() == lbha::v1::ReceiveRequest::kConfig  ? "config"
                     : request.kind_case() == lbha::v1::ReceiveRequest::kFetch ? "fetch"
                                                                               : "status";
  get_logger("pairing")->info(
      "{} request to {}: ssh connect+kex {:.1f} ms, auth {:.1f} ms, receiver {:.1f} ms", kind,
      identity.peer_node_name, r.connect_time.count() / 1000.0, r.auth_time.count() / 1000.0,
      r.command_time.count() / 1000.0);
  return parse_reply(r.out + "\n" + r.err);
}

lbha::v1::NodeResult replication_ops::push_to_peer(const state::pairing_identity& identity,
                                                   const lbha::v1::ClusterConfig& config,
                                                   const std::string& summary,
                                                   std::uint64_t* peer_term) {
  if (peer_term) *peer_term = 0;
  auto pinned = state::read_peer_host_key(files_);
  if (pinned && !pinned.value()) {
    // Paired as the secondary and then took over: the old primary holds no key
    // of this node. It fetches the config itself over its own key when it returns.
    return node_result(identity.peer_node_name, false,
                       "not pushed: this node took over and holds no key for " +
                           identity.peer_node_name + "; it fetches generation " +
                           std::to_string(config.generation()) + " itself when it is back",
                       0);
  }
  lbha::v1::ReceiveRequest request;
  *request.mutable_config() = config;
  request.set_summary(summary);
  auto reply = send_with_key(identity, request);
  if (!reply) return node_result(identity.peer_node_name, false, reply.error().message(), 0);
  if (peer_term) *peer_term = reply.value().term;
  return node_result(identity.peer_node_name, reply.value().ok, reply.value().message,
                     reply.value().generation);
}

lbha::v1::NodeResult replication_ops::follow_peer(const state::pairing_identity& identity) {
  auto log = get_logger("pairing");
  lbha::v1::ReceiveRequest request;
  request.mutable_fetch()->set_cluster_id(identity.cluster_id);
  auto reply = send_with_key(identity, request);
  if (!reply) return node_result(identity.peer_node_name, false, reply.error().message(), 0);
  if (!reply.value().ok) {
    return node_result(identity.peer_node_name, false,
                       "cannot fetch its config: " + reply.value().message,
                       reply.value().generation);
  }
  auto config = decode_config_message(reply.value().message);
  if (!config) return node_result(identity.peer_node_name, false, config.error().message(), 0);
  const bool demote = identity.role == state::node_role::primary;
  const std::string origin = demote ? "took_over_by_" + identity.peer_node_name
                                    : "fetched_from_" + identity.peer_node_name;
  auto accepted = accept_config(node_, daemons_, config.value(), origin, "");
  if (!accepted) {
    return node_result(identity.peer_node_name, false,
                       "its generation " + std::to_string(config.value().generation()) + " (term " +
                           std::to_string(config.value().term()) +
                           ") not applied here: " + accepted.error().message(),
                       config.value().generation());
  }
  std::string what = "applied its generation " + std::to_string(config.value().generation()) +
                     " (term " + std::to_string(config.value().term()) + ") here";
  if (demote) {
    auto mine = identity;
    mine.role = state::node_role::secondary;
    if (auto r = state::write_pairing(files_, mine); !r) {
      return node_result(identity.peer_node_name, false, what + ", but " + r.error().message(),
                         config.value().generation());
    }
    what = identity.peer_node_name + " took over with term " +
           std::to_string(config.value().term()) + ": " + node_.node_name +
           " is its secondary now and " + what;
    log->warn("{}", what);
  } else {
    log->info("{}", what);
  }
  return node_result(identity.peer_node_name, accepted.value().ok,
                     what + "; " + accepted.value().summary, config.value().generation());
}

result<host_key_info> replication_ops::peer_host_key(const std::string& address) {
  if (address.empty()) return error(errc::bad_request, "no peer address given");
  return ssh_.host_key(peer_target(address));
}

result<state::pending_pairing> replication_ops::pending_for(const std::string& fingerprint,
                                                            bool& fresh) {
  auto pending = state::read_pending_pairing(files_);
  if (!pending) return pending.error();
  if (pending.value() && pending.value()->peer_fingerprint == fingerprint) {
    fresh = false;
    return *pending.value();
  }
  // None yet, or one for another host (its secondary never finished it): a new pairing.
  state::pending_pairing made;
  made.cluster_id = generate_cluster_id();
  made.peer_fingerprint = fingerprint;
  made.key = generate_heartbeat_key();
  auto certificate = state::make_pair_certificate(made.cluster_id);
  if (!certificate) return certificate.error();
  made.certificate = std::move(certificate).value();
  if (auto r = state::write_pending_pairing(files_, made); !r) return r.error();
  fresh = true;
  return made;
}

lbha::v1::NodeResult replication_ops::lock_peer_password(const state::pairing_identity& identity) {
  lbha::v1::ReceiveRequest request;
  request.mutable_lock_password()->set_cluster_id(identity.cluster_id);
  auto reply = send_with_key(identity, request);
  if (!reply || !reply.value().ok) {
    const std::string why = reply ? reply.value().message : reply.error().message();
    return node_result(identity.peer_node_name, false,
                       "password of " + node_.ssh_user + " NOT locked: " + why +
                           "; lock it there as root with `usermod -L " + node_.ssh_user + "`",
                       reply ? reply.value().generation : 0);
  }
  return node_result(identity.peer_node_name, true, reply.value().message,
                     reply.value().generation);
}

lbha::v1::ReplicationResult replication_ops::pair(const lbha::v1::PairRequest& request) {
  auto log = get_logger("pairing");
  const std::string& peer = request.peer_address();
  const std::string& expected = request.expected_fingerprint();
  auto identity = state::read_pairing(files_);
  if (!identity) return fail(identity.error().message());
  if (identity.value()) {
    return fail("this node is already paired (" + std::string(to_string(identity.value()->role)) +
                " of a pair with " + identity.value()->peer_node_name +
                "); run `lbctl unpair` first");
  }
  if (peer.empty()) return fail("no peer address given");
  if (expected.rfind("SHA256:", 0) != 0) {
    return fail("no confirmed host key fingerprint for " + peer +
                ": lbctl pair shows the peer's and asks, or takes --expect-fingerprint SHA256:...");
  }
  // First look, before anything is written or sent: the key must be the confirmed one.
  auto seen = ssh_.host_key(peer_target(peer));
  if (!seen) return fail(seen.error().message());
  if (seen.value().fingerprint != expected) {
    log->warn("pairing with {} refused: host key {} is not the confirmed {}", peer,
              seen.value().fingerprint, expected);
    return fail("host_key_mismatch: the host key of " + peer + " is " + seen.value().fingerprint +
                ", not the confirmed " + expected +
                "; nothing was sent (possible impersonation: compare with `ssh-keygen -lf` on "
                "the peer)");
  }

  auto public_key = ensure_node_key(files_.node_key());
  if (!public_key) return fail(public_key.error().message());
  auto current = load_cluster(cluster_config_path(node_.config_dir));
  if (!current) return fail("cannot read this node's cluster.yaml: " + current.error().message());
  lbha::v1::ClusterConfig config = current.value();
  if (config.generation() == 0) {
    // Nothing committed yet: commit the empty config so both nodes start from generation 1.
    auto committed = prepare_commit(config, config, daemons_.current_term().value_or(0));
    if (!committed) return fail(committed.error().message());
    config = committed.value();
    if (auto stored = store_cluster(cluster_config_path(node_.config_dir), config); !stored) {
      return fail(stored.error().message());
    }
    note_in_history(node_.state_dir, config, "pair", "first commit, for pairing");
  }

  bool fresh = true;
  auto pending_or = pending_for(expected, fresh);
  if (!pending_or) return fail(pending_or.error().message());
  const auto pending = std::move(pending_or).value();
  lbha::v1::ReceiveRequest offer_request;
  auto* offer = offer_request.mutable_pair();
  offer->set_cluster_id(pending.cluster_id);
  offer->set_primary_name(node_.node_name);
  offer->set_primary_node_id(state::primary_node_id);
  offer->set_secondary_node_id(state::secondary_node_id);
  for (const auto& a : node_.local_addresses) offer->add_primary_addresses(a);
  offer->mutable_heartbeat_key()->set_key_id(pending.key.id);
  offer->mutable_heartbeat_key()->set_key(pending.key.secret.data(), pending.key.secret.size());
  offer->set_primary_public_key(public_key.value());
  *offer->mutable_config() = config;
  offer->set_pair_certificate(state::to_text(pending.certificate));

  log->info("{} pairing {} with {} as {}@{}:{} (host key {})", fresh ? "offering" : "resuming",
            pending.cluster_id, peer, node_.ssh_user, peer, node_.ssh_port, expected);
  // Pinned to the confirmed key: a different key at the login ends the session
  // before the password is sent.
  auto exec = ssh_.exec(peer_target(peer), ssh_credentials{request.password(), {}}, expected,
                        node_.receive_command, encode_request(offer_request));
  if (!exec) {
    log->warn("pairing with {} failed: {}", peer, exec.error().message());
    const bool nothing_received = exec.error() == errc::host_key_mismatch ||
                                  exec.error() == errc::unreachable ||
                                  exec.error() == errc::auth_failed;
    if (nothing_received && fresh) (void)state::remove_pending_pairing(files_);
    std::string message = exec.error().message();
    if (exec.error() == errc::host_key_mismatch) message = "host_key_mismatch: " + message;
    if (!nothing_received) message += "; run the same `lbctl pair` again to finish this pairing";
    return fail(message);
  }
  const std::string fingerprint = exec.value().fingerprint;
  auto reply = parse_reply(exec.value().out + "\n" + exec.value().err);
  if (!reply) {
    return fail(reply.error().message() +
                "; run the same `lbctl pair` again to finish this pairing");
  }
  if (!reply.value().ok) return fail(peer + " refused to pair: " + reply.value().message);

  state::pairing_identity mine;
  mine.cluster_id = pending.cluster_id;
  mine.role = state::node_role::primary;
  mine.local_node_id = state::primary_node_id;
  mine.local_node_name = node_.node_name;
  mine.peer_node_id = state::secondary_node_id;
  mine.peer_node_name = reply.value().node;
  mine.peer_addresses.push_back(peer);
  for (const auto& a : node_.peer_addresses) {
    if (a != peer) mine.peer_addresses.push_back(a);
  }
  mine.paired_at = utc_now_text();
  if (auto r = state::write_peer_host_key(files_, fingerprint); !r)
    return fail(r.error().message());
  if (auto r = state::write_heartbeat_keys(files_.heartbeat_key(), {pending.key}); !r)
    return fail(r.error().message());
  if (auto r = state::write_pair_certificate(files_.pair_certificate(), pending.certificate); !r)
    return fail(r.error().message());

  lbha::v1::ReplicationResult result;
  result.set_peer_fingerprint(fingerprint);
  auto certificate_fingerprint = state::certificate_fingerprint(pending.certificate);
  if (certificate_fingerprint) result.set_certificate_fingerprint(certificate_fingerprint.value());
  // Prove the restricted key works before calling the pair done; until then
  // this node is not paired and a retry offers the same pairing again.
  lbha::v1::ReceiveRequest status;
  status.mutable_status();
  auto check = send_with_key(mine, status);
  if (!check || !check.value().ok) {
    std::string why = check ? check.value().message : check.error().message();
    *result.add_nodes() = node_result(mine.peer_node_name, false, why, reply.value().generation);
    result.set_ok(false);
    result.set_message(mine.peer_node_name + " took the pairing, but logging in with this "
                       "node's key failed: " + why + ". Check the peer's sshd (AuthorizedKeysFile, "
                       "PubkeyAuthentication), then run the same `lbctl pair` again to finish it");
    return result;
  }
  if (auto r = state::write_pairing(files_, mine); !r) return fail(r.error().message());
  if (auto r = state::remove_pending_pairing(files_); !r) return fail(r.error().message());

  *result.add_nodes() =
      node_result(node_.node_name, true, "paired as primary; " + daemons_.reload(nullptr).summary,
                  config.generation());
  *result.add_nodes() = node_result(mine.peer_node_name, true, reply.value().message,
                                    check.value().generation);
  std::string locked;
  if (request.lock_password()) {
    auto lock = lock_peer_password(mine);
    locked = "; " + lock.message();
    *result.add_nodes() = std::move(lock);
  }
  result.set_ok(true);
  result.set_message("paired " + node_.node_name + " (primary) with " + mine.peer_node_name +
                     " (secondary) at " + peer + "; peer host key " + fingerprint + " pinned" +
                     locked);
  log->info("{}", result.message());
  return result;
}

lbha::v1::ReplicationResult replication_ops::unpair(bool local_only) {
  auto identity = state::read_pairing(files_);
  if (!identity) return fail(identity.error().message());
  if (!identity.value()) return fail("this node is not paired");
  const auto& id = *identity.value();
  lbha::v1::ReplicationResult result;
  if (id.role == state::node_role::secondary && !local_only) {
    return fail("this node is the secondary; run `lbctl unpair` on the primary " +
                id.peer_node_name + ", or `lbctl unpair --local` here if the primary is gone");
  }
  if (!local_only) {
    lbha::v1::ReceiveRequest request;
    request.mutable_unpair()->set_cluster_id(id.cluster_id);
    auto reply = send_with_key(id, request);
    if (!reply || !reply.value().ok) {
      return fail("cannot unpair " + id.peer_node_name + ": " +
                  (reply ? reply.value().message : reply.error().message()) +
                  ". If the peer is gone for good, run `lbctl unpair --local` on each node");
    }
    *result.add_nodes() = node_result(id.peer_node_name, true, reply.value().message,
                                      reply.value().generation);
  }
  std::string removed_keys;
  if (id.role == state::node_role::secondary) {
    auto removed = remove_authorized_keys(node_.authorized_keys, id.cluster_id);
    if (!removed) return fail(removed.error().message());
    removed_keys = "removed " + std::to_string(removed.value()) + " authorized key(s); ";
  }
  if (auto r = state::clear_pairing(files_); !r) return fail(r.error().message());
  *result.add_nodes() = node_result(
      node_.node_name, true, "unpaired; " + removed_keys + daemons_.reload(nullptr).summary, 0);
  result.set_ok(true);
  result.set_message(local_only ? "pairing state cleared on " + node_.node_name
                                : "pair " + node_.node_name + " / " + id.peer_node_name + " broken");
  get_logger("pairing")->info("{}", result.message());
  return result;
}

lbha::v1::ReplicationResult replication_ops::push(lbha::v1::ClusterConfig proposed, bool dry_run,
                                                  const std::string& origin,
                                                  const std::string& given_summary) {
  const auto started = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  auto identity = state::read_pairing(files_);
  if (!identity) return fail(identity.error().message());
  if (identity.value() && identity.value()->role == state::node_role::secondary) {
    return fail(secondary_refusal(*identity.value()));
  }
  const auto path = cluster_config_path(node_.config_dir);
  auto current = load_cluster_header(path);
  if (!current) return fail("cannot read this node's cluster.yaml: " + current.error().message());
  auto prepared =
      prepare_commit(current.value(), std::move(proposed), daemons_.current_term().value_or(0));
  if (!prepared) return fail("invalid config:\n" + prepared.error().message());
  const auto& config = prepared.value();
  lbha::v1::ReplicationResult result;
  if (dry_run) {
    result.set_ok(true);
    result.set_message("config is valid; it would be committed as generation " +
                       std::to_string(config.generation()));
    return result;
  }
  std::string summary = given_summary;
  if (summary.empty()) {
    auto before = load_cluster(path);
    summary = before ? summarize_change(before.value(), config) : "";
  }
  if (auto stored = store_cluster(path, config); !stored) return fail(stored.error().message());
  note_in_history(node_.state_dir, config, origin.empty() ? "commit" : origin, summary);
  const double commit_ms = ms_since(started);
  const auto reload_started = std::chrono::steady_clock::now();
  const std::string generation = "generation " + std::to_string(config.generation());
  const auto reloaded = daemons_.reload(&config);
  get_logger("pairing")->info("committed {} here: validate+write {:.1f} ms, local reload {:.1f} ms",
                              generation, commit_ms, ms_since(reload_started));
  *result.add_nodes() =
      node_result(node_.node_name, reloaded.ok, "committed " + generation + "; " + reloaded.summary,
                  config.generation());
  std::string local_problem;
  if (!reloaded.ok) local_problem = "; but on " + node_.node_name + ": " + reloaded.summary;
  if (!identity.value()) {
    result.set_ok(reloaded.ok);
    result.set_message("committed " + generation + " (not paired: nothing to replicate)" +
                       local_problem);
    return result;
  }
  std::uint64_t peer_term = 0;
  auto peer = push_to_peer(*identity.value(), config, summary, &peer_term);
  if (!peer.ok() && peer_term > config.term()) {
    // The peer took over while this node was away: its config wins, this one is stale.
    auto followed = follow_peer(*identity.value());
    *result.add_nodes() = peer;
    result.set_ok(false);
    result.set_message("not committed: " + peer.node() + " took over as the config authority " +
                       "with term " + std::to_string(peer_term) + " (this commit had term " +
                       std::to_string(config.term()) + "); " + followed.message() +
                       ". Make the change again on " + peer.node());
    return result;
  }
  *result.add_nodes() = peer;
  result.set_ok(reloaded.ok && peer.ok());
  if (peer.ok()) {
    result.set_message("committed " + generation + " on both nodes" + local_problem);
  } else if (peer.generation() == config.generation()) {
    // Stored there, but a daemon there did not take it: retrying the push would not help.
    result.set_message("committed " + generation + " on both nodes, but " + peer.node() +
                       " did not reload it: " + peer.message() + local_problem);
  } else {
    result.set_message("committed " + generation + " on " + node_.node_name + "; " + peer.node() +
                       " did not take it (" + peer.message() +
                       "); it catches up when it is reachable again" + local_problem);
  }
  return result;
}

peer_check replication_ops::catch_up() {
  peer_check check;
  auto identity = state::read_pairing(files_);
  if (!identity || !identity.value()) return check;
  const auto& id = *identity.value();
  // Without a pin this node cannot reach the peer: a secondary paired the
  // usual way (the primary pushes), or a node that took over (the old
  // primary fetches when it returns).
  auto pinned = state::read_peer_host_key(files_);
  if (!pinned || !pinned.value()) return check;
  check.attempted = true;
  auto current = load_cluster_header(cluster_config_path(node_.config_dir));
  if (!current) {
    check.message = current.error().message();
    return check;
  }
  check.local_generation = current.value().generation();
  lbha::v1::ReceiveRequest request;
  request.mutable_status();
  auto reply = send_with_key(id, request);
  if (!reply) {
    check.message = reply.error().message();
    return check;
  }
  check.reachable = true;
  check.peer_generation = reply.value().generation;
  const std::uint64_t peer_term = reply.value().term;
  const bool peer_newer = peer_term > current.value().term() ||
                          (peer_term == current.value().term() &&
                           reply.value().generation > current.value().generation());
  if (id.role == state::node_role::secondary || peer_term > current.value().term()) {
    // Following: the peer is the authority (it took over, or this secondary pulls).
    if (!peer_newer) {
      check.in_sync = true;
      check.message = reply.value().message;
      return check;
    }
    auto followed = follow_peer(id);
    check.in_sync = followed.ok();
    check.message = followed.message();
    check.push = followed;
    return check;
  }
  if (reply.value().generation >= current.value().generation()) {
    check.in_sync = true;
    check.message = reply.value().message;
    return check;
  }
  auto whole = load_cluster(cluster_config_path(node_.config_dir));
  if (!whole) {
    check.message = whole.error().message();
    return check;
  }
  auto pushed = push_to_peer(id, whole.value(), "catch-up", nullptr);
  check.in_sync = pushed.ok();
  if (pushed.ok()) check.peer_generation = pushed.generation();
  check.message = pushed.message();
  check.push = pushed;
  return check;
}

lbha::v1::ReplicationResult replication_ops::rollback(std::uint64_t generation, bool dry_run) {
  config_history history(config_history::dir_in(node_.state_dir));
  auto target = history.load(generation);
  if (!target) return fail(target.error().message());
  auto current = load_cluster(cluster_config_path(node_.config_dir));
  if (!current) return fail("cannot read this node's cluster.yaml: " + current.error().message());
  const std::string summary = "to generation " + std::to_string(generation) + ": " +
                              summarize_change(current.value(), target.value());
  return push(std::move(target).value(), dry_run, "rollback", summary);
}

lbha::v1::ReplicationResult replication_ops::take_over(bool force, bool primary_heard) {
  auto log = get_logger("pairing");
  auto identity = state::read_pairing(files_);
  if (!identity) return fail(identity.error().message());
  if (!identity.value()) return fail("this node is not paired: it is its own config authority");
  auto id = *identity.value();
  if (id.role == state::node_role::primary) {
    return fail("this node is already the primary (the config authority) of its pair");
  }
  std::string answers;
  if (primary_heard) answers = "its heartbeats reach this node's heartbeatd";
  if (!id.peer_addresses.empty()) {
    auto seen = ssh_.host_key(peer_target(id.peer_addresses[0]));
    if (seen) {
      answers += (answers.empty() ? "" : " and ") + std::string("its sshd answers at ") +
                 id.peer_addresses[0];
    }
  }
  if (!answers.empty() && !force) {
    return fail("refused: the primary " + id.peer_node_name + " is still there (" + answers +
                "); make changes on it. Take over only when it is gone, or pass --force if it "
                "is up but cannot act (both nodes then act as the authority until " +
                id.peer_node_name + " sees the higher term)");
  }
  const auto path = cluster_config_path(node_.config_dir);
  auto current = load_cluster(path);
  if (!current) return fail("cannot read this node's cluster.yaml: " + current.error().message());
  const std::uint64_t term =
      std::max(current.value().term(), daemons_.current_term().value_or(0)) + 1;
  auto prepared = prepare_commit(current.value(), current.value(), term);
  if (!prepared)
    return fail("the current config does not validate:\n" + prepared.error().message());
  const auto& config = prepared.value();
  // The config with the higher term first, then the role: a crash between the
  // two leaves a secondary that outranks its old primary, and a second
  // take-over only raises the term again.
  if (auto stored = store_cluster(path, config); !stored) return fail(stored.error().message());
  id.role = state::node_role::primary;
  if (auto r = state::write_pairing(files_, id); !r) return fail(r.error().message());
  note_in_history(node_.state_dir, config, "take-over",
                  "took over from " + id.peer_node_name + " with term " + std::to_string(term));
  const auto reloaded = daemons_.reload(&config);
  const std::string what = "took over from " + id.peer_node_name + " as the config authority " +
                           "with term " + std::to_string(term) + "; committed generation " +
                           std::to_string(config.generation());
  log->warn("{}{}", what, force && !answers.empty() ? " (forced: " + answers + ")" : "");
  lbha::v1::ReplicationResult result;
  *result.add_nodes() = node_result(node_.node_name, reloaded.ok, what + "; " + reloaded.summary,
                                    config.generation());
  result.set_ok(reloaded.ok);
  result.set_message(what + " on " + node_.node_name + ". " + id.peer_node_name +
                     ", when it returns, sees the higher term, becomes the secondary and fetches "
                     "this node's config; make config changes here meanwhile" +
                     (reloaded.ok ? "" : "; but here: " + reloaded.summary));
  return result;
}

lbha::v1::ReplicationStatus replication_ops::local_status() const {
  lbha::v1::ReplicationStatus status;
  status.set_local_node(node_.node_name);
  auto current = load_cluster_header(cluster_config_path(node_.config_dir));
  if (current) {
    status.set_local_generation(current.value().generation());
    status.set_local_term(current.value().term());
  }
  auto identity = state::read_pairing(files_);
  if (identity && identity.value()) {
    const auto& id = *identity.value();
    status.set_paired(true);
    status.set_role(to_string(id.role));
    status.set_cluster_id(id.cluster_id);
    status.set_peer_node(id.peer_node_name);
    if (!id.peer_addresses.empty()) status.set_peer_address(id.peer_addresses[0]);
  }
  auto pinned = state::read_peer_host_key(files_);
  if (pinned && pinned.value()) status.set_peer_fingerprint(*pinned.value());
  auto certificate = state::read_pair_certificate(files_.pair_certificate());
  if (certificate && certificate.value()) {
    auto fingerprint = state::certificate_fingerprint(*certificate.value());
    if (fingerprint) status.set_certificate_fingerprint(fingerprint.value());
  }
  return status;
}

}  // namespace lbha::pairing
