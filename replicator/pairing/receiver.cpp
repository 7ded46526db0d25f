#include "replicator/pairing/receiver.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/state/pair_certificate.hpp"
#include "replicator/pairing/authorized_keys.hpp"
#include "replicator/pairing/config_accept.hpp"
#include "replicator/pairing/config_commit.hpp"
#include "replicator/pairing/config_history.hpp"
#include "replicator/pairing/pairing_state.hpp"

namespace lbha::pairing {

namespace {

// Holds an exclusive flock for the lifetime of the object.
class file_lock {
 public:
  explicit file_lock(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~file_lock() {
    if (fd_ >= 0) ::close(fd_);
  }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

result<void> lock_user_password(const std::string& user) {
  if (::geteuid() != 0) {
    return error(errc::refused, "locking the password of " + user +
                                    " needs root (usermod -L); this receiver runs as uid " +
                                    std::to_string(::geteuid()));
  }
  std::string program = "usermod", flag = "-L", name = user;
  char* argv[] = {program.data(), flag.data(), name.data(), nullptr};
  pid_t pid = 0;
  if (int rc = ::posix_spawnp(&pid, "usermod", nullptr, nullptr, argv, environ); rc != 0) {
    return error(errc::io, std::string("cannot run usermod: ") + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return error(errc::io, "usermod -L " + user + " failed (exit status " +
                               std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  return success();
}

receiver::receiver(node_context node, std::string forced_command, local_daemons& daemons)
    : node_(std::move(node)),
      forced_command_(std::move(forced_command)),
      daemons_(daemons),
      lock_password_(lock_user_password) {}

bool receiver::holds_pair_key(const std::string& cluster_id, const std::string& public_key) const {
  auto text = read_file(node_.authorized_keys);
  if (!text || public_key.empty()) return false;
  const std::string tag = std::string(authorized_key_marker) + cluster_id + ":";
  std::istringstream lines(text.value());
  for (std::string line; std::getline(lines, line);) {
    if (line.find(public_key) != std::string::npos && line.find(tag) != std::string::npos) {
      return true;
    }
  }
  return false;
}

receive_reply receiver::refuse(std::string message) {
  receive_reply reply;
  reply.ok = false;
  reply.node = node_.node_name;
  reply.message = std::move(message);
  auto current = load_cluster_header(cluster_config_path(node_.config_dir));
  if (current) {
    reply.generation = current.value().generation();
    reply.term = current.value().term();
  }
  return reply;
}

receive_reply receiver::handle(const lbha::v1::ReceiveRequest& request, bool restricted,
                               const std::string& client_address) {
  file_lock lock(node_.state_dir / "receive.lock");
  switch (request.kind_case()) {
    case lbha::v1::ReceiveRequest::kStatus:
      return do_status();
    case lbha::v1::ReceiveRequest::kConfig:
      return do_config(request.config(), request.summary());
    case lbha::v1::ReceiveRequest::kFetch:
      return do_fetch(request.fetch());
    case lbha::v1::ReceiveRequest::kPair:
      if (restricted) return refuse("refused: pairing needs the password login, not the pair key");
      return do_pair(request.pair(), client_address);
    case lbha::v1::ReceiveRequest::kUnpair:
      return do_unpair(request.unpair());
    case lbha::v1::ReceiveRequest::kLockPassword:
      return do_lock_password(request.lock_password());
    case lbha::v1::ReceiveRequest::KIND_NOT_SET:
      break;
  }
  return refuse("refused: empty request");
}

receive_reply receiver::do_status() {
  receive_reply reply;
  auto current = load_cluster_header(cluster_config_path(node_.config_dir));
  if (!current) return refuse("cannot read this node's cluster.yaml: " + current.error().message());
  auto identity = state::read_pairing(state::state_files(node_.state_dir));
  reply.ok = true;
  reply.node = node_.node_name;
  reply.generation = current.value().generation();
  reply.term = current.value().term();
  if (identity && identity.value()) {
    reply.cluster_id = identity.value()->cluster_id;
    reply.message = std::string(to_string(identity.value()->role)) + " paired with " +
                    identity.value()->peer_node_name;
  } else {
    reply.message = "not paired";
  }
  return reply;
}

receive_reply receiver::do_config(const lbha::v1::ClusterConfig& config,
                                  const std::string& summary) {
  state::state_files files(node_.state_dir);
  auto identity = state::read_pairing(files);
  if (!identity) return refuse(identity.error().message());
  if (!identity.value()) return refuse("refused: this node is not paired");
  auto current = load_cluster_header(cluster_config_path(node_.config_dir));
  if (!current) return refuse("cannot read this node's cluster.yaml: " + current.error().message());
  const bool primary = identity.value()->role != state::node_role::secondary;
  // A primary takes a push only from a peer that took over with a higher term:
  // it was the authority that went away, and becomes the secondary.
  if (primary && config.term() <= current.value().term()) {
    return refuse("refused: this node is the primary of its pair (config term " +
                  std::to_string(current.value().term()) + "); it does not take configs");
  }
  const std::string origin = "pushed_by_" + identity.value()->peer_node_name;
  auto accepted = accept_config(node_, daemons_, config, origin, summary);
  if (!accepted) return refuse(accepted.error().message());
  std::string demoted;
  if (primary) {
    auto mine = *identity.value();
    mine.role = state::node_role::secondary;
    if (auto r = state::write_pairing(files, mine); !r) return refuse(r.error().message());
    demoted = "; " + mine.peer_node_name + " took over with term " + std::to_string(config.term()) +
              ": this node is its secondary now";
  }
  const auto& reloaded = accepted.value();
  receive_reply reply;
  reply.ok = reloaded.ok;
  reply.node = node_.node_name;
  reply.generation = config.generation();
  reply.term = config.term();
  reply.cluster_id = identity.value()->cluster_id;
  reply.message = (reloaded.ok ? "applied generation " : "stored generation ") +
                  std::to_string(config.generation()) + "; " + reloaded.summary + demoted;
  return reply;
}

receive_reply receiver::do_fetch(const lbha::v1::FetchConfig& request) {
  auto identity = state::read_pairing(state::state_files(node_.state_dir));
  if (!identity) return refuse(identity.error().message());
  if (!identity.value() || identity.value()->cluster_id != request.cluster_id()) {
    return refuse("refused: this node is not paired in cluster " + request.cluster_id());
  }
  if (identity.value()->role != state::node_role::primary) {
    return refuse("refused: this node is the secondary; it is not the config authority");
  }
  auto current = load_cluster(cluster_config_path(node_.config_dir));
  if (!current) return refuse("cannot read this node's cluster.yaml: " + current.error().message());
  receive_reply reply;
  reply.ok = true;
  reply.node = node_.node_name;
  reply.generation = current.value().generation();
  reply.term = current.value().term();
  reply.cluster_id = identity.value()->cluster_id;
  reply.message = encode_config_message(current.value());
  return reply;
}

receive_reply receiver::do_pair(const lbha::v1::PairOffer& offer,
                                const std::string& client_address) {
  state::state_files files(node_.state_dir);
  auto identity = state::read_pairing(files);
  if (!identity) return refuse(identity.error().message());
  // The same primary (same key) retrying the same pairing may finish it; anything else is refused.
  const bool same_offer = holds_pair_key(offer.cluster_id(), offer.primary_public_key());
  if (identity.value()) {
    const auto& existing = *identity.value();
    if (existing.cluster_id != offer.cluster_id()) {
      return refuse("refused: " + node_.node_name + " is already paired with " +
                    existing.peer_node_name + " (cluster " + existing.cluster_id +
                    "); run `lbctl unpair --local` on it first");
    }
    if (!same_offer) {
      return refuse("refused: " + node_.node_name + " is paired in cluster " +
                    existing.cluster_id + " with another primary key; run `lbctl unpair --local` "
                    "on it first");
    }
  }
  if (offer.primary_name() == node_.node_name) {
    return refuse("refused: both nodes are called '" + node_.node_name +
                  "'; node names must differ (node.yaml node_name)");
  }
  auto current = load_cluster(cluster_config_path(node_.config_dir));
  if (!current) return refuse("cannot read this node's cluster.yaml: " + current.error().message());
  // Half paired by this very offer (cut before the pairing file): its services are the primary's.
  if (current.value().virtual_services_size() > 0 && !identity.value() && !same_offer) {
    return refuse("refused: " + node_.node_name + " has " +
                  std::to_string(current.value().virtual_services_size()) +
                  " virtual service(s) of its own; remove them before pairing it as a secondary");
  }
  auto incoming = offer.config();
  auto check = check_incoming(empty_cluster_config(), incoming);
  if (!check) return refuse(check.error().message());
  if (offer.heartbeat_key().key().size() != 32 || offer.heartbeat_key().key_id() == 0) {
    return refuse("refused: malformed heartbeat key in the pairing offer");
  }
  auto certificate = state::parse_pair_certificate(offer.pair_certificate());
  if (!certificate) {
    return refuse("refused: no valid pair certificate in the pairing offer (" +
                  certificate.error().message() + ")");
  }

  // The key may log in only from the primary: its node.yaml addresses and
  // the address this pairing's SSH connection came from.
  std::vector<std::string> from(offer.primary_addresses().begin(), offer.primary_addresses().end());
  if (!client_address.empty()) from.push_back(client_address);
  auto line = forced_key_line(forced_command_, offer.primary_public_key(), offer.cluster_id(),
                              offer.primary_name(), from);
  if (!line) return refuse("refused: " + line.error().message());
  if (auto r = install_authorized_key(node_.authorized_keys, line.value(),
                                      offer.primary_public_key(), node_.authorized_keys_owner);
      !r) {
    return refuse(r.error().message());
  }
  state::heartbeat_key key;
  key.id = offer.heartbeat_key().key_id();
  key.secret.assign(offer.heartbeat_key().key().begin(), offer.heartbeat_key().key().end());
  if (auto r = state::write_heartbeat_keys(files.heartbeat_key(), {key}); !r) {
    return refuse(r.error().message());
  }
  if (auto r = state::write_pair_certificate(files.pair_certificate(), certificate.value()); !r) {
    return refuse(r.error().message());
  }
  if (auto r = store_cluster(cluster_config_path(node_.config_dir), incoming); !r) {
    return refuse(r.error().message());
  }
  note_in_history(node_.state_dir, incoming, "paired_with_" + offer.primary_name(),
                  summarize_change(empty_cluster_config(), incoming));
  state::pairing_identity mine;
  mine.cluster_id = offer.cluster_id();
  mine.role = state::node_role::secondary;
  mine.local_node_id = offer.secondary_node_id();
  mine.local_node_name = node_.node_name;
  mine.peer_node_id = offer.primary_node_id();
  mine.peer_node_name = offer.primary_name();
  mine.peer_addresses.assign(offer.primary_addresses().begin(), offer.primary_addresses().end());
  mine.paired_at = utc_now_text();
  // The pairing file goes last: it is what makes this node consider itself paired.
  if (auto r = state::write_pairing(files, mine); !r) return refuse(r.error().message());
  // A pin left from an earlier pairing where this node was the primary is stale now.
  std::error_code ec;
  std::filesystem::remove(files.peer_host_key(), ec);

  receive_reply reply;
  reply.ok = true;
  reply.node = node_.node_name;
  reply.generation = incoming.generation();
  reply.term = incoming.term();
  reply.cluster_id = offer.cluster_id();
  reply.message =
      "paired as secondary of " + offer.primary_name() + "; " + daemons_.reload(&incoming).summary;
  return reply;
}

receive_reply receiver::do_lock_password(const lbha::v1::LockPassword& request) {
  auto identity = state::read_pairing(state::state_files(node_.state_dir));
  if (!identity) return refuse(identity.error().message());
  if (!identity.value() || identity.value()->role != state::node_role::secondary ||
      identity.value()->cluster_id != request.cluster_id()) {
    return refuse("refused: this node is not the secondary of cluster " + request.cluster_id());
  }
  if (auto locked = lock_password_(node_.ssh_user); !locked) {
    return refuse(locked.error().message());
  }
  receive_reply reply = do_status();
  reply.message = "password of " + node_.ssh_user + " locked (usermod -L): only the pair key "
                  "logs in now";
  return reply;
}

receive_reply receiver::do_unpair(const lbha::v1::UnpairNotice& notice) {
  state::state_files files(node_.state_dir);
  auto identity = state::read_pairing(files);
  if (!identity) return refuse(identity.error().message());
  if (identity.value() && identity.value()->cluster_id != notice.cluster_id()) {
    return refuse("refused: this node is paired in cluster " + identity.value()->cluster_id +
                  ", not " + notice.cluster_id());
  }
  auto removed = remove_authorized_keys(node_.authorized_keys, notice.cluster_id(),
                                       node_.authorized_keys_owner);
  if (!removed) return refuse(removed.error().message());
  if (auto r = state::clear_pairing(files); !r) return refuse(r.error().message());
  receive_reply reply;
  reply.ok = true;
  reply.node = node_.node_name;
  reply.cluster_id = notice.cluster_id();
  auto current = load_cluster_header(cluster_config_path(node_.config_dir));
  if (current) {
    reply.generation = current.value().generation();
    reply.term = current.value().term();
  }
  reply.message = "unpaired; removed " + std::to_string(removed.value()) + " authorized key(s); " +
                  daemons_.reload(nullptr).summary;
  return reply;
}

}  // namespace lbha::pairing
