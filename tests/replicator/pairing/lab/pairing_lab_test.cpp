// Pairing and config replication between two lab LB nodes over real SSH
// (tests/lab/ssh_pair: each node's own OpenSSH sshd and the `loadbalancer`
// login user), each with its own lbha-replicatord; the operator's side is lbctl.
// On the secondary the path is sshd -> lbha-receive-config (as the login
// user, a relay) -> receive.sock -> root's lbha-replicatord, so every test
// that pairs starts replicatord on both nodes.
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/replication.grpc.pb.h"
#include "replicator/pairing/config_commit.hpp"
#include "replicator/pairing/pairing_state.hpp"
#include "replicator/pairing/receive_socket.hpp"
#include "replicator/pairing/wire.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/command.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/ssh_pair.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::pairing {
namespace {

using namespace std::chrono_literals;
using lab::lab_error;

constexpr const char* login_user = lab::ssh_pair::login_user;

class pairing_lab_test : public lab::lab_test {
 protected:
  void SetUp() override {
    lab::lab_test::SetUp();
    if (IsSkipped()) return;
    // client1 plays the attacker that takes lb2's address.
    lab_ = &make_lab({.lb_nodes = 2, .servers = 0, .clients = 1});
    ssh_ = std::make_unique<lab::ssh_pair>(
        *lab_, lab::ssh_pair_binaries{.replicatord = LBHA_REPLICATORD_PATH,
                                      .receive_config = LBHA_RECEIVE_CONFIG_PATH,
                                      .lbctl = LBHA_LBCTL_PATH});
    password_ = ssh_->password();
  }

  const lab::node& lb(int i) const { return lab_->lb(i); }
  std::filesystem::path authorized_keys(int i) const { return ssh_->authorized_keys(i); }
  std::string host_fingerprint(int i) { return ssh_->host_fingerprint(i); }
  lab::process& start_replicatord(int i) { return ssh_->start_replicatord(i); }
  lab::process* replicatord(int i) const { return ssh_->replicatord(i); }
  lab::command_result lbctl(int i, std::vector<std::string> args) {
    return ssh_->lbctl(i, std::move(args));
  }
  lab::command_result pair(const std::string& password) { return ssh_->pair(password); }

  lbha::v1::ClusterConfig config_of(int i) {
    auto loaded = load_cluster(cluster_config_path(lb(i).etc_dir()));
    if (!loaded) throw lab_error("cluster.yaml of " + lb(i).name + ": " + loaded.error().message());
    return loaded.value();
  }

  // A cluster.yaml with `services` virtual services, for lbctl apply.
  // `first_label`, when given, names the first service instead of "vs0": a
  // one-service change in an otherwise identical config.
  std::filesystem::path services_file(int services, const std::string& name = "apply.yaml",
                                      const std::string& first_label = "") {
    lbha::v1::ClusterConfig config;
    for (int s = 0; s < services; ++s) {
      auto* vs = config.add_virtual_services();
      vs->set_label(s == 0 && !first_label.empty() ? first_label : "vs" + std::to_string(s));
      vs->set_ip(lab::vip(s % 100));
      auto* ports = vs->add_ports();
      ports->set_first(1000 + s);
      ports->set_last(1000 + s);
      auto* rs = vs->add_real_servers();
      rs->set_label("rs");
      rs->set_ip("192.0.2.21");
      rs->set_port(80);
    }
    config::apply_defaults(config);
    auto file = lab_->dir() / name;
    if (!write_file_atomically(file, config::to_yaml(config))) throw lab_error("apply file");
    return file;
  }

  std::string logs() { return lab_->logs(); }

  // lbha-proxyd or lbha-heartbeatd on lb<i>, as root, like the appliance's services.
  lab::process& start_daemon(int i, const std::string& name, const char* path) {
    auto& p = lab_->start(lb(i).name, name,
                          {lab::built_binary(path).string(), "--node-config",
                           lb(i).node_yaml().string(), "--log-level", "debug"});
    auto sock = socket_path(lb(i).run_dir(), name);
    if (!lab::wait_until([&] { return std::filesystem::exists(sock); }, 10s)) {
      throw lab_error(name + " did not start on " + lb(i).name + ":\n" + p.logs());
    }
    return p;
  }

  // An empty committed-nothing cluster.yaml (generation 0), which the daemons need to start.
  void write_empty_cluster(int i) {
    lbha::v1::ClusterConfig empty;
    config::apply_defaults(empty);
    lab_->write_cluster_yaml(i, empty);
  }

  std::optional<lbha::v1::ProxyStatus> proxy_status(int i) {
    auto stub = lbha::v1::Proxy::NewStub(unix_channel(socket_path(lb(i).run_dir(), "proxyd")));
    auto ctx = context_with_deadline(1000ms);
    lbha::v1::ProxyStatus reply;
    if (!stub->GetStatus(ctx.get(), lbha::v1::ProxyStatusRequest{}, &reply).ok()) {
      return std::nullopt;
    }
    return reply;
  }

  std::optional<lbha::v1::HaStatus> ha_status(int i) {
    auto stub = lbha::v1::Ha::NewStub(unix_channel(socket_path(lb(i).run_dir(), "heartbeatd")));
    auto ctx = context_with_deadline(1000ms);
    lbha::v1::HaStatus reply;
    if (!stub->GetStatus(ctx.get(), lbha::v1::HaStatusRequest{}, &reply).ok()) {
      return std::nullopt;
    }
    return reply;
  }

  lbha::v1::ReplicationStatus replication_status(int i) {
    auto stub =
        lbha::v1::Replication::NewStub(unix_channel(socket_path(lb(i).run_dir(), "replicatord")));
    auto ctx = context_with_deadline(2000ms);
    lbha::v1::ReplicationStatus reply;
    stub->GetStatus(ctx.get(), lbha::v1::ReplicationStatusRequest{}, &reply);
    return reply;
  }

  // proxyd on lb<i> runs `generation` and serves a virtual service labelled `label`.
  bool proxy_serves(int i, std::uint64_t generation, const std::string& label) {
    auto status = proxy_status(i);
    if (!status || status->generation() != generation) return false;
    return std::any_of(status->virtual_services().begin(), status->virtual_services().end(),
                       [&](const auto& vs) { return vs.label() == label; });
  }

  // ssh from lb<from> to lb2 as the login user with lb1's pair key.
  lab::command_result ssh_with_pair_key(int from, std::vector<std::string> args,
                                        std::string stdin_data = "") {
    std::vector<std::string> argv{"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                                  "-o", "UserKnownHostsFile=/dev/null", "-i",
                                  state::state_files(lb(1).state_dir()).node_key().string(),
                                  std::string(login_user) + "@" + lb(2).ipv4};
    argv.insert(argv.end(), args.begin(), args.end());
    return lab_->exec(lb(from).name, argv, {.timeout = 20s, .stdin_data = std::move(stdin_data)});
  }

  // A shell command on lb2 as the login user (runuser: its own groups, as a login has).
  lab::command_result as_login_user(const std::string& command) {
    return lab_->exec(lb(2).name, {"runuser", "-u", login_user, "--", "sh", "-c", command});
  }

  // connect() to the Unix socket `path` as the login user with its groups:
  // 0, or the errno that refused it.
  int connect_as_login_user(const std::filesystem::path& path) {
    const pid_t child = ::fork();
    if (child == 0) {
      if (::initgroups(login_user, ssh_->login_gid()) != 0 || ::setgid(ssh_->login_gid()) != 0 ||
          ::setuid(ssh_->login_uid()) != 0) {
        ::_exit(250);
      }
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
      ::_exit(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ? 0 : errno);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
  }

  lab::lab* lab_ = nullptr;
  std::unique_ptr<lab::ssh_pair> ssh_;
  std::string password_;
};

TEST_F(pairing_lab_test, pair_pins_the_host_key_and_apply_reaches_the_secondary) {
  start_replicatord(1);
  start_replicatord(2);
  auto paired = pair(password_);
  ASSERT_TRUE(paired.ok()) << paired.out << paired.err << logs();
  EXPECT_NE(paired.out.find(host_fingerprint(2)), std::string::npos) << paired.out;

  auto primary = state::read_pairing(state::state_files(lb(1).state_dir())).value();
  auto secondary = state::read_pairing(state::state_files(lb(2).state_dir())).value();
  ASSERT_TRUE(primary && secondary);
  EXPECT_EQ(primary->cluster_id, secondary->cluster_id);
  EXPECT_EQ(primary->role, state::node_role::primary);
  EXPECT_EQ(secondary->role, state::node_role::secondary);
  EXPECT_EQ(*state::read_peer_host_key(state::state_files(lb(1).state_dir())).value(),
            host_fingerprint(2));
  EXPECT_EQ(
      *state::read_heartbeat_keys(state::state_files(lb(1).state_dir()).heartbeat_key()).value(),
      *state::read_heartbeat_keys(state::state_files(lb(2).state_dir()).heartbeat_key()).value());
  struct stat st {};
  ASSERT_EQ(::stat(state::state_files(lb(2).state_dir()).heartbeat_key().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The installed key runs the receiver and nothing else, whatever is asked.
  auto shell =
      lab_->exec(lb(1).name, {"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o",
                              "UserKnownHostsFile=/dev/null", "-i",
                              state::state_files(lb(1).state_dir()).node_key().string(),
                              std::string(login_user) + "@" + lb(2).ipv4, "id"});
  EXPECT_EQ(shell.out.find("uid="), std::string::npos) << shell.out;
  EXPECT_NE(shell.out.find("ERROR node=lb2"), std::string::npos) << shell.out << shell.err;

  auto applied = lbctl(1, {"apply", "-f", services_file(3).string()});
  ASSERT_TRUE(applied.ok()) << applied.out << applied.err << logs();
  EXPECT_EQ(config_of(1).generation(), 2u);
  EXPECT_EQ(config_of(2).SerializeAsString(), config_of(1).SerializeAsString());

  auto status = lbctl(1, {"replication", "status"});
  ASSERT_TRUE(status.ok()) << status.err;
  EXPECT_NE(status.out.find("peer generation:   2"), std::string::npos) << status.out;

  // Edits on the secondary are refused, naming the primary.
  auto on_secondary = lbctl(2, {"apply", "-f", services_file(1).string()});
  EXPECT_FALSE(on_secondary.ok());
  EXPECT_NE(on_secondary.err.find("secondary of lb1"), std::string::npos) << on_secondary.err;
}

// Hole 1 of issue 14, as the attacker who holds the pair key or the login
// user's account: all it can do is hand a request to root's replicatord.
TEST_F(pairing_lab_test, the_login_user_can_only_hand_over_a_config) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  start_daemon(2, "proxyd", LBHA_PROXYD_PATH);
  start_daemon(2, "heartbeatd", LBHA_HEARTBEATD_PATH);

  // The key is `restrict`ed, forced to the relay and limited to lb1's address.
  const auto keys = read_file(authorized_keys(2)).value();
  EXPECT_EQ(keys.rfind("restrict,command=\"", 0), 0u) << keys;
  EXPECT_NE(keys.find(",from=\"" + lb(1).ipv4), std::string::npos) << keys;
  struct stat st {};
  ASSERT_EQ(::stat(authorized_keys(2).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ssh_->login_uid());
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // A shell, another command or a pty: sshd runs the relay, which finds no request.
  const std::vector<std::vector<std::string>> attempts = {
      {"id"}, {"sh", "-c", "'id; cat /etc/shadow'"}, {"/bin/sh"}};
  for (const auto& attempt : attempts) {
    auto r = ssh_with_pair_key(1, attempt);
    EXPECT_EQ(r.out.find("uid="), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("root:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ERROR node=lb2"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.out.find("no request received"), std::string::npos) << r.out;
    EXPECT_NE(r.status.code, 0);
  }
  // A pty is refused (restrict); with -tt ssh sends no end of input, so the
  // relay just waits for a request that never comes: still no shell.
  auto tty = ssh_with_pair_key(1, {"-tt", "id"});
  EXPECT_EQ(tty.out.find("uid="), std::string::npos) << tty.out;
  EXPECT_NE(tty.err.find("PTY allocation request failed"), std::string::npos) << tty.err;
  // The same key from another address (lb2's own) is not let in at all.
  auto elsewhere = ssh_with_pair_key(2, {"id"});
  EXPECT_NE(elsewhere.status.code, 0);
  EXPECT_EQ(elsewhere.out.find("node=lb2"), std::string::npos) << elsewhere.out;
  EXPECT_NE(elsewhere.err.find("Permission denied"), std::string::npos) << elsewhere.err;

  // As the login user on the node: root's files are out of reach.
  const auto node_yaml = read_file(lb(2).node_yaml()).value();
  const auto key_file = state::state_files(lb(2).state_dir()).heartbeat_key();
  const auto heartbeat_key = read_file(key_file).value();
  for (const std::string& attack :
       {"echo 'notify: {on_active: [/tmp/evil]}' >> " + lb(2).node_yaml().string(),
        "echo x > " + (lb(2).etc_dir() / "node.yaml.new").string() + " && mv " +
            (lb(2).etc_dir() / "node.yaml.new").string() + " " + lb(2).node_yaml().string(),
        "ln -s /etc/shadow " + (lb(2).etc_dir() / "cluster.yaml.tmp.1").string(),
        "cat " + key_file.string(), "echo x > " + key_file.string(),
        "ls " + lb(2).state_dir().string()}) {
    auto r = as_login_user(attack);
    EXPECT_NE(r.status.code, 0) << attack << ": " << r.out;
    EXPECT_EQ(r.out.find(heartbeat_key.substr(0, 8)), std::string::npos);
  }
  EXPECT_EQ(read_file(lb(2).node_yaml()).value(), node_yaml);
  EXPECT_EQ(read_file(key_file).value(), heartbeat_key);
  EXPECT_FALSE(std::filesystem::exists(lb(2).etc_dir() / "node.yaml.new"));
  EXPECT_FALSE(std::filesystem::is_symlink(lb(2).etc_dir() / "cluster.yaml.tmp.1"));

  // The daemons' sockets refuse it; receive.sock is its one door.
  EXPECT_EQ(connect_as_login_user(socket_path(lb(2).run_dir(), "proxyd")), EACCES);
  EXPECT_EQ(connect_as_login_user(socket_path(lb(2).run_dir(), "heartbeatd")), EACCES);
  EXPECT_EQ(connect_as_login_user(socket_path(lb(2).run_dir(), "replicatord")), EACCES);
  EXPECT_EQ(connect_as_login_user(receive_socket_path(lb(2).run_dir())), 0);
  EXPECT_TRUE(proxy_status(2).has_value());

  // With replicatord down on lb2 a request is answered plainly and nothing is written.
  replicatord(2)->stop();
  lbha::v1::ReceiveRequest request;
  request.mutable_status();
  auto down = ssh_with_pair_key(1, {}, encode_request(request));
  EXPECT_EQ(down.status.code, 1) << down.out << down.err;
  EXPECT_NE(down.out.find("ERROR node=lb2"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("lbha-replicatord is not running on lb2"), std::string::npos)
      << down.out;
  auto applied = lbctl(1, {"apply", "-f", services_file(2).string()});
  EXPECT_EQ(applied.status.code, 1) << applied.out << applied.err;
  EXPECT_NE((applied.out + applied.err).find("lbha-replicatord is not running on lb2"),
            std::string::npos)
      << applied.out << applied.err;
  EXPECT_EQ(config_of(2).generation(), 1u);
}

// The whole path: apply on lb1 -> SSH -> relay on lb2 -> receive.sock -> lb2's
// replicatord (root) -> gRPC -> lb2's proxyd.
TEST_F(pairing_lab_test, apply_on_the_primary_is_served_by_the_secondarys_proxyd) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  start_daemon(2, "proxyd", LBHA_PROXYD_PATH);
  ASSERT_TRUE(lab::wait_until([&] { return proxy_status(2).has_value(); }, 5s));
  EXPECT_EQ(proxy_status(2)->virtual_services_size(), 0);

  auto applied = lbctl(1, {"apply", "-f", services_file(2).string()});
  ASSERT_TRUE(applied.ok()) << applied.out << applied.err << logs();
  EXPECT_NE(applied.out.find("reloaded proxyd"), std::string::npos) << applied.out;
  // lbctl returned after lb2's proxyd took the config: no waiting needed.
  EXPECT_TRUE(proxy_serves(2, 2, "vs1"))
      << proxy_status(2).value_or(lbha::v1::ProxyStatus{}).DebugString();
  auto socket = socket_path(lb(2).run_dir(), "proxyd");
  struct stat st {};
  ASSERT_EQ(::stat(socket.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, ssh_->run_gid());
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

// `lbctl reload` after a hand edit of cluster.yaml, with real proxyds: refused
// on the secondary (its proxyd keeps the committed generation), committed and
// replicated on the primary (both proxyds serve the edit).
TEST_F(pairing_lab_test, reload_of_a_hand_edited_cluster_yaml_commits_on_the_primary_only) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  ASSERT_TRUE(lbctl(1, {"apply", "-f", services_file(2).string()}).ok()) << logs();
  start_daemon(1, "proxyd", LBHA_PROXYD_PATH);
  start_daemon(2, "proxyd", LBHA_PROXYD_PATH);
  ASSERT_TRUE(lab::wait_until([&] { return proxy_serves(2, 2, "vs1"); }, 5s));
  auto hand_edit = [&](int i, const std::string& label) {
    const auto file = cluster_config_path(lb(i).etc_dir());
    auto text = read_file(file).value();
    text.replace(text.find("label: vs1"), 10, "label: " + label);
    if (!write_file_atomically(file, text)) throw lab_error("cannot edit " + file.string());
  };

  hand_edit(2, "edited_on_lb2");
  auto refused = lbctl(2, {"reload", "proxy"});
  EXPECT_EQ(refused.status.code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("differs from committed generation 2"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("+ virtual service edited_on_lb2"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("this node is the secondary of lb1"), std::string::npos)
      << refused.err;
  EXPECT_TRUE(proxy_serves(2, 2, "vs1")) << "lb2's proxyd keeps the committed generation";
  EXPECT_EQ(config_of(1).generation(), 2u);
  // The way back the message names.
  auto committed = lbctl(2, {"config", "show", "--generation", "2"});
  ASSERT_TRUE(committed.ok()) << committed.err;
  ASSERT_TRUE(write_file_atomically(cluster_config_path(lb(2).etc_dir()), committed.out));

  hand_edit(1, "edited_on_lb1");
  auto reloaded = lbctl(1, {"reload", "proxy"});
  ASSERT_TRUE(reloaded.ok()) << reloaded.out << reloaded.err << logs();
  EXPECT_NE(reloaded.out.find("committed generation 3 on lb1 and lb2"), std::string::npos)
      << reloaded.out;
  EXPECT_TRUE(proxy_serves(1, 3, "edited_on_lb1"));
  EXPECT_TRUE(proxy_serves(2, 3, "edited_on_lb1"));
  EXPECT_EQ(config_of(1).SerializeAsString(), config_of(2).SerializeAsString());
  auto history = lbctl(1, {"config", "history"});
  EXPECT_NE(history.out.find("reload"), std::string::npos) << history.out;
}

// Every refusal of `lbctl pair` the operator can meet between two real nodes.
TEST_F(pairing_lab_test, pairing_refusals_are_clear) {
  start_replicatord(1);
  start_replicatord(2);
  ssh_->stop_sshd(2);
  auto unreachable = pair(password_);
  EXPECT_EQ(unreachable.status.code, 1);
  EXPECT_NE(unreachable.err.find("cannot reach"), std::string::npos) << unreachable.err;
  ssh_->start_sshd(2);

  // The peer has virtual services of its own: pairing would overwrite them.
  lbha::v1::ClusterConfig own;
  auto* vs = own.add_virtual_services();
  vs->set_label("mine");
  vs->set_ip(lab::vip(7));
  vs->add_ports()->set_first(80);
  vs->mutable_ports(0)->set_last(80);
  config::apply_defaults(own);
  own.set_generation(3);
  lab_->write_cluster_yaml(2, own);
  auto has_services = pair(password_);
  EXPECT_EQ(has_services.status.code, 1);
  EXPECT_NE(has_services.err.find("virtual service(s) of its own"), std::string::npos)
      << has_services.err;
  EXPECT_FALSE(state::read_pairing(state::state_files(lb(2).state_dir())).value());

  write_empty_cluster(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  auto twice = pair(password_);
  EXPECT_EQ(twice.status.code, 1);
  EXPECT_NE(twice.err.find("already paired"), std::string::npos) << twice.err;
}

// The attack of issue 14, hole 2: during `lbctl pair` another machine (client1)
// takes lb2's address, as an ARP spoofer would, and answers with a real
// OpenSSH sshd of its own (another host key, password login on, every
// authentication attempt logged). The operator confirmed lb2's real key.
TEST_F(pairing_lab_test, a_fake_sshd_at_the_peers_address_never_sees_the_password) {
  start_replicatord(1);
  start_replicatord(2);
  const std::string real = host_fingerprint(2);
  const auto fake_dir = lab_->dir() / "fake-sshd";
  std::filesystem::create_directories(fake_dir);
  lab::run_checked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    (fake_dir / "host_ed25519").string()});
  auto listed = lab::run_checked({"ssh-keygen", "-l", "-f", (fake_dir / "host_ed25519.pub").string()});
  const auto at = listed.out.find("SHA256:");
  const std::string fake = listed.out.substr(at, listed.out.find(' ', at) - at);
  ASSERT_NE(fake, real);
  ASSERT_TRUE(write_file_atomically(
      fake_dir / "sshd_config",
      "Port 22\nListenAddress " + lb(2).ipv4 + "\nHostKey " + (fake_dir / "host_ed25519").string() +
          "\nPidFile " + (fake_dir / "sshd.pid").string() +
          "\nPasswordAuthentication yes\nKbdInteractiveAuthentication yes\nUsePAM no"
          "\nStrictModes no\nLogLevel DEBUG3\n"));
  const std::string cidr = lb(2).ipv4 + "/24";
  lab_->del_address(lb(2).name, cidr);
  lab_->add_address(lab_->client(1).name, cidr);
  lab_->exec_checked(lb(1).name, {"ip", "neigh", "flush", "all"});
  auto& fake_sshd = lab_->start(lab_->client(1).name, "fake-sshd",
                                {"/usr/sbin/sshd", "-D", "-e", "-f",
                                 (fake_dir / "sshd_config").string()});
  ASSERT_TRUE(lab::wait_until(
      [&] { return lab::tcp_connect(lab_->client(1).netns, lb(2).ipv4, 22, 200ms); }, 5s))
      << fake_sshd.logs();

  // lbctl pair --expect-fingerprint <lb2's real key>: refused, naming both keys.
  auto paired = pair(password_);
  EXPECT_EQ(paired.status.code, 1) << paired.out << paired.err;
  EXPECT_NE(paired.err.find("host_key_mismatch"), std::string::npos) << paired.err;
  EXPECT_NE(paired.err.find(real), std::string::npos) << paired.err;
  EXPECT_NE(paired.err.find(fake), std::string::npos) << paired.err;

  // replicatord itself refuses a Pair naming lb2's real key (a client that skips lbctl's check).
  auto stub =
      lbha::v1::Replication::NewStub(unix_channel(socket_path(lb(1).run_dir(), "replicatord")));
  lbha::v1::PairRequest request;
  request.set_peer_address(lb(2).ipv4);
  request.set_password(password_);
  request.set_expected_fingerprint(real);
  lbha::v1::ReplicationResult result;
  auto ctx = context_with_deadline(30s);
  ASSERT_TRUE(stub->Pair(ctx.get(), request, &result).ok());
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("host_key_mismatch"), std::string::npos) << result.message();
  EXPECT_NE(result.message().find(real), std::string::npos) << result.message();
  EXPECT_NE(result.message().find(fake), std::string::npos) << result.message();

  // The fake sshd was asked (twice: lbctl's look and replicatord's), and no
  // authentication of any kind reached it, so no password.
  const auto log = fake_sshd.logs();
  EXPECT_NE(log.find("Connection from " + lb(1).ipv4), std::string::npos) << log;
  EXPECT_EQ(log.find("method password"), std::string::npos) << log;
  EXPECT_EQ(log.find("keyboard-interactive"), std::string::npos) << log;
  EXPECT_EQ(log.find("userauth-request"), std::string::npos) << log;
  EXPECT_EQ(log.find(password_), std::string::npos);

  // Nothing written on either node.
  for (int i = 1; i <= 2; ++i) {
    state::state_files files(lb(i).state_dir());
    for (const auto& file : {files.pairing(), files.pending_pairing(), files.heartbeat_key(),
                             files.pair_certificate(), files.peer_host_key(), files.node_key()}) {
      EXPECT_FALSE(std::filesystem::exists(file)) << file;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(authorized_keys(2)));
  EXPECT_EQ(config_of(1).generation(), 0u);

  // lb2 back at its address: the same command pairs.
  fake_sshd.stop();
  lab_->del_address(lab_->client(1).name, cidr);
  lab_->add_address(lb(2).name, cidr);
  lab_->exec_checked(lb(1).name, {"ip", "neigh", "flush", "all"});
  ssh_->stop_sshd(2);
  ssh_->start_sshd(2);
  auto real_pair = pair(password_);
  ASSERT_TRUE(real_pair.ok()) << real_pair.out << real_pair.err << logs();
  EXPECT_NE(real_pair.out.find("pair certificate SHA256:"), std::string::npos) << real_pair.out;
}

TEST_F(pairing_lab_test, pair_without_a_terminal_needs_the_fingerprint) {
  start_replicatord(1);
  // setsid: no controlling terminal, as under cron or ssh without -t.
  auto r = lab_->exec(lb(1).name,
                      {"setsid", "-w", lab::built_binary(LBHA_LBCTL_PATH).string(),
                       "--node-config", lb(1).node_yaml().string(), "pair", "--peer", lb(2).ipv4,
                       "--password-file", ssh_->password_file(password_).string()},
                      {.timeout = 30s});
  EXPECT_EQ(r.status.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("pass it with --expect-fingerprint"), std::string::npos) << r.err;
  EXPECT_FALSE(state::read_pairing(state::state_files(lb(2).state_dir())).value());
  // A wrong --expect-fingerprint is refused before the password leaves.
  auto wrong = ssh_->pair(password_, "SHA256:notlb2AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(wrong.status.code, 1) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find(host_fingerprint(2)), std::string::npos) << wrong.err;
  EXPECT_FALSE(state::read_pairing(state::state_files(lb(2).state_dir())).value());
}

TEST_F(pairing_lab_test, wrong_password_fails_cleanly) {
  start_replicatord(1);
  auto paired = pair("not-" + password_);
  EXPECT_EQ(paired.status.code, 1) << paired.out << paired.err;
  EXPECT_NE(paired.err.find("wrong password"), std::string::npos) << paired.err;
  EXPECT_FALSE(state::read_pairing(state::state_files(lb(1).state_dir())).value());
  EXPECT_FALSE(state::read_pairing(state::state_files(lb(2).state_dir())).value());
  EXPECT_FALSE(std::filesystem::exists(authorized_keys(2)));
  // The password never reaches the logs.
  EXPECT_EQ(logs().find(password_), std::string::npos);
}

TEST_F(pairing_lab_test, swapped_host_key_is_refused) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  ssh_->stop_sshd(2);
  ssh_->make_host_key(2);
  ssh_->start_sshd(2);
  auto applied = lbctl(1, {"apply", "-f", services_file(2).string()});
  EXPECT_EQ(applied.status.code, 1);
  EXPECT_NE(applied.out.find("changed"), std::string::npos) << applied.out << applied.err;
  EXPECT_EQ(config_of(2).generation(), 1u);
  EXPECT_EQ(config_of(1).generation(), 2u);
}

TEST_F(pairing_lab_test, secondary_down_during_apply_catches_up) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  lab_->partition(lb(1).name, lb(2).name);
  auto applied = lbctl(1, {"apply", "-f", services_file(4).string()});
  EXPECT_EQ(applied.status.code, 1) << applied.out << applied.err;
  EXPECT_EQ(config_of(1).generation(), 2u);
  EXPECT_EQ(config_of(2).generation(), 1u);
  lab_->heal();
  EXPECT_TRUE(lab::wait_until([&] { return config_of(2).generation() == 2; }, 20s)) << logs();
  EXPECT_EQ(config_of(2).SerializeAsString(), config_of(1).SerializeAsString());
}

// With heartbeatd on both nodes the primary learns from the peer's heartbeats
// that it is behind. SSH polling is set to once a minute, so a catch-up within
// seconds of the heal can only have been triggered by a heartbeat.
TEST_F(pairing_lab_test, secondary_catches_up_when_its_heartbeats_show_it_behind) {
  ssh_->set_catch_up(60s, 60s);
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  // heartbeatd reads the key and pairing identity pairing wrote when it starts
  // (its Reload takes a new cluster.yaml, not a new identity).
  start_daemon(1, "heartbeatd", LBHA_HEARTBEATD_PATH);
  start_daemon(2, "heartbeatd", LBHA_HEARTBEATD_PATH);
  ASSERT_TRUE(lab::wait_until(
      [&] {
        auto hb = ha_status(1);
        return hb && hb->peer_alive() && hb->peer_config_generation() == 1;
      },
      10s))
      << logs();
  ASSERT_TRUE(lab::wait_until([&] { return replication_status(1).heartbeat_watch(); }, 5s));

  lab_->partition(lb(1).name, lb(2).name);
  auto applied = lbctl(1, {"apply", "-f", services_file(1).string()});
  EXPECT_EQ(applied.status.code, 1) << applied.out << applied.err;
  ASSERT_EQ(config_of(2).generation(), 1u);
  ASSERT_TRUE(lab::wait_until([&] { return !ha_status(1)->peer_alive(); }, 5s));
  lab_->heal();
  const auto healed = std::chrono::steady_clock::now();
  EXPECT_TRUE(lab::wait_until([&] { return config_of(2).generation() == 2; }, 15s)) << logs();
  const auto took = std::chrono::steady_clock::now() - healed;
  EXPECT_LT(took, 10s);
  EXPECT_EQ(config_of(2).SerializeAsString(), config_of(1).SerializeAsString());
  ASSERT_TRUE(lab::wait_until([&] { return !replication_status(1).last_catch_up().empty(); }, 5s));
  EXPECT_EQ(replication_status(1).last_catch_up().rfind("heartbeat: pushed generation 2", 0), 0u)
      << replication_status(1).last_catch_up();
  EXPECT_NE(replicatord(1)->logs().find("catch-up by heartbeat"), std::string::npos)
      << replicatord(1)->logs();
  std::printf("caught up %.0f ms after the heal\n",
              std::chrono::duration<double, std::milli>(took).count());
  // And lb2's heartbeats now carry the new generation.
  EXPECT_TRUE(lab::wait_until([&] { return ha_status(1)->peer_config_generation() == 2; }, 5s));
}

TEST_F(pairing_lab_test, sigkill_of_replicatord_mid_push_leaves_a_valid_config) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  const auto big = services_file(1000, "big.yaml");
  for (int round = 0; round < 4; ++round) {
    auto& apply = lab_->start(lb(1).name, "apply" + std::to_string(round),
                              {lab::built_binary(LBHA_LBCTL_PATH).string(), "--run-dir",
                               lb(1).run_dir().string(), "apply",
                               "-f", big.string()});
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 100 * round));
    replicatord(1)->kill();
    apply.wait(10s);
    // Whatever moment the kill hit, each node holds a whole, valid config.
    auto secondary = load_cluster(cluster_config_path(lb(2).etc_dir()));
    ASSERT_TRUE(secondary) << secondary.error();
    EXPECT_TRUE(secondary.value().virtual_services_size() == 0 ||
                secondary.value().virtual_services_size() == 1000);
    ASSERT_TRUE(load_cluster(cluster_config_path(lb(1).etc_dir())));
    start_replicatord(1);
  }
  // And the pair converges once replicatord is back.
  EXPECT_TRUE(lab::wait_until(
      [&] { return config_of(2).generation() == config_of(1).generation(); }, 20s))
      << logs();
}

TEST_F(pairing_lab_test, unpair_leaves_no_key_behind) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  auto keys = read_file(authorized_keys(2));
  ASSERT_TRUE(keys);
  EXPECT_NE(keys.value().find("lbha-pair:"), std::string::npos);
  auto unpaired = lbctl(1, {"unpair"});
  ASSERT_TRUE(unpaired.ok()) << unpaired.out << unpaired.err;
  EXPECT_EQ(read_file(authorized_keys(2)).value().find("lbha-pair:"), std::string::npos);
  for (int i = 1; i <= 2; ++i) {
    state::state_files files(lb(i).state_dir());
    EXPECT_FALSE(state::read_pairing(files).value());
    EXPECT_FALSE(state::read_heartbeat_keys(files.heartbeat_key()).value());
  }
  auto status = lbctl(1, {"replication", "status"});
  EXPECT_NE(status.out.find("paired:            no"), std::string::npos) << status.out;
  // The pair can be made again with the password.
  EXPECT_TRUE(pair(password_).ok()) << logs();
}

// Median of the values of `key=<number>` in the lines of `text` that contain `marker`.
double median_of(const std::string& text, const std::string& marker, const std::string& key) {
  std::vector<double> values;
  std::size_t at = 0;
  while ((at = text.find(marker, at)) != std::string::npos) {
    auto end = text.find('\n', at);
    auto line = text.substr(at, end - at);
    auto k = line.find(key);
    if (k != std::string::npos) values.push_back(std::atof(line.c_str() + k + key.size()));
    at = end;
  }
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values.size() % 2 ? values[values.size() / 2]
                           : (values[values.size() / 2 - 1] + values[values.size() / 2]) / 2;
}

double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const auto n = samples.size();
  return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

// bench/replication runs this (disabled in the suite: it measures, it does not check).
// From the start of `lbctl apply` on the primary until the secondary's real
// lbha-proxyd reports the new generation and the changed virtual service: the
// commit, a fresh SSH session (handshake included), the receiver's validation
// and atomic write, and proxyd's reload over gRPC. Each run renames the
// first virtual service (the config keeps its 1 or 1,000 services), so every
// apply is a real, operator-sized change. PROFILE lines split the time.
// History and rollback through lbctl, then the primary stops: the secondary
// takes over with a higher term and commits; the old primary returns, sees
// the higher term at its first catch-up, becomes the secondary and fetches the
// new authority's config. Its stale config never reaches lb2, and from then on
// lb2's commits reach it.
TEST_F(pairing_lab_test,
       history_rollback_and_take_over_with_the_old_primary_returning_as_secondary) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  auto first = lbctl(1, {"apply", "-f", services_file(2, "first.yaml", "first").string()});
  ASSERT_TRUE(first.ok()) << first.out << first.err << logs();
  auto second = lbctl(1, {"apply", "-f", services_file(3, "second.yaml", "second").string()});
  ASSERT_TRUE(second.ok()) << second.out << second.err << logs();
  ASSERT_EQ(config_of(2).generation(), 3u);

  // History on both nodes: the primary's commits, the secondary's accepted pushes.
  auto history1 = lbctl(1, {"config", "history"});
  ASSERT_TRUE(history1.ok()) << history1.err;
  EXPECT_NE(history1.out.find("3 *"), std::string::npos) << history1.out;
  EXPECT_NE(history1.out.find("+ second, vs2; - first"), std::string::npos) << history1.out;
  auto history2 = lbctl(2, {"config", "history"});
  ASSERT_TRUE(history2.ok()) << history2.err;
  EXPECT_NE(history2.out.find("pushed_by_lb1"), std::string::npos) << history2.out;
  auto shown = lbctl(2, {"config", "show", "--generation", "2"});
  ASSERT_TRUE(shown.ok()) << shown.err;
  EXPECT_NE(shown.out.find("label: first"), std::string::npos) << shown.out;

  // Rollback: a new generation with generation 2's content, on both nodes; refused on lb2.
  auto refused_rollback = lbctl(2, {"config", "rollback", "2"});
  EXPECT_EQ(refused_rollback.status.code, 1);
  EXPECT_NE(refused_rollback.err.find("secondary of lb1"), std::string::npos)
      << refused_rollback.err;
  auto rolled = lbctl(1, {"config", "rollback", "2"});
  ASSERT_TRUE(rolled.ok()) << rolled.out << rolled.err << logs();
  EXPECT_NE(rolled.out.find("+ virtual service first"), std::string::npos) << rolled.out;
  for (int i : {1, 2}) {
    EXPECT_EQ(config_of(i).generation(), 4u) << i;
    ASSERT_EQ(config_of(i).virtual_services_size(), 2) << i;
    EXPECT_EQ(config_of(i).virtual_services(0).label(), "first") << i;
  }

  // Take-over is refused while the primary answers.
  auto early = lbctl(2, {"replication", "take-over"});
  EXPECT_EQ(early.status.code, 1);
  EXPECT_NE(early.err.find("its sshd answers"), std::string::npos) << early.err;
  EXPECT_EQ(replication_status(2).role(), "secondary");

  // The primary stops (replicatord and sshd).
  const auto stale = config_of(1);
  replicatord(1)->stop();
  ssh_->stop_sshd(1);
  auto took = lbctl(2, {"replication", "take-over"});
  ASSERT_TRUE(took.ok()) << took.out << took.err << logs();
  EXPECT_EQ(replication_status(2).role(), "primary");
  EXPECT_GT(config_of(2).term(), stale.term());
  EXPECT_EQ(config_of(2).generation(), 5u);
  // lb2 commits now; lb1 cannot take it yet.
  auto after = lbctl(2, {"apply", "-f", services_file(1, "after.yaml", "after").string()});
  EXPECT_EQ(after.status.code, 1) << after.out << after.err;
  EXPECT_EQ(config_of(2).generation(), 6u);
  EXPECT_EQ(config_of(2).virtual_services(0).label(), "after");
  EXPECT_EQ(config_of(1).SerializeAsString(), stale.SerializeAsString());

  // The old primary returns: it follows lb2 instead of pushing its generation 4.
  ssh_->start_sshd(1);
  start_replicatord(1);
  ASSERT_TRUE(lab::wait_until([&] { return replication_status(1).role() == "secondary"; }, 20s))
      << logs();
  ASSERT_TRUE(lab::wait_until([&] { return config_of(1).generation() == 6; }, 20s)) << logs();
  EXPECT_EQ(config_of(1).SerializeAsString(), config_of(2).SerializeAsString());
  EXPECT_EQ(config_of(1).virtual_services(0).label(), "after");
  EXPECT_EQ(replication_status(2).role(), "primary");
  EXPECT_EQ(config_of(2).virtual_services(0).label(), "after");
  // lb2 never took anything from lb1 after the take-over.
  auto history_after = lbctl(2, {"config", "history"});
  ASSERT_TRUE(history_after.ok()) << history_after.err;
  EXPECT_NE(history_after.out.find("take-over"), std::string::npos) << history_after.out;
  const auto take_over_line = history_after.out.find("take-over");
  EXPECT_EQ(history_after.out.substr(0, take_over_line).find("pushed_by_lb1"), std::string::npos)
      << history_after.out;
  auto history_lb1 = lbctl(1, {"config", "history"});
  EXPECT_NE(history_lb1.out.find("took_over_by_lb2"), std::string::npos) << history_lb1.out;

  // lb1 is the secondary now: edits there are refused naming lb2.
  auto edit = lbctl(1, {"apply", "-f", services_file(2, "late.yaml", "late").string()});
  EXPECT_EQ(edit.status.code, 1);
  EXPECT_NE(edit.err.find("secondary of lb2"), std::string::npos) << edit.err;
  // lb2's next commit reaches lb1 (lb1 fetches it over its pair key).
  auto next = lbctl(2, {"apply", "-f", services_file(2, "next.yaml", "next").string()});
  EXPECT_EQ(config_of(2).generation(), 7u) << next.out << next.err;
  EXPECT_TRUE(lab::wait_until([&] { return config_of(1).generation() == 7; }, 20s)) << logs();
  EXPECT_EQ(config_of(1).SerializeAsString(), config_of(2).SerializeAsString());
}

TEST_F(pairing_lab_test, DISABLED_bench_apply_latency) {
  // replicatord's defaults: the lab's 300 ms catch-up poll would put an SSH
  // status exchange in the worker's queue ahead of many applies.
  ssh_->set_catch_up(10s, 60s);
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  auto& proxyd = start_daemon(2, "proxyd", LBHA_PROXYD_PATH);
  int run = 0;
  auto measure = [&](int services, const char* name) {
    std::vector<double> total, lbctl_returned;
    const auto log_mark = replicatord(1)->logs().size();
    // Counted, not read back: parsing a 1,000-service cluster.yaml inside the
    // timed window would measure the bench, not the pair.
    auto generation = config_of(1).generation();
    for (int i = 0; i < 20; ++i, ++run) {
      const std::string label = "run" + std::to_string(run);
      const auto file = services_file(services, "bench.yaml", label);
      const auto start = std::chrono::steady_clock::now();
      auto applied = lbctl(1, {"apply", "-f", file.string()});
      const auto returned = std::chrono::steady_clock::now();
      EXPECT_TRUE(applied.ok()) << applied.out << applied.err;
      ++generation;
      if (!lab::wait_until([&] { return proxy_serves(2, generation, label); }, 10s,
                           std::chrono::milliseconds(1))) {
        ADD_FAILURE() << "lb2's proxyd never served generation " << generation << "\n"
                      << proxyd.logs();
        return 0.0;
      }
      const auto served = std::chrono::steady_clock::now();
      total.push_back(std::chrono::duration<double, std::milli>(served - start).count());
      lbctl_returned.push_back(std::chrono::duration<double, std::milli>(returned - start).count());
    }
    EXPECT_EQ(config_of(1).generation(), generation);
    EXPECT_EQ(config_of(2).generation(), generation);
    const auto log = replicatord(1)->logs().substr(log_mark);
    // lbctl's own share: reading, validating and diffing the file, no commit.
    std::vector<double> dry;
    for (int i = 0; i < 5; ++i) {
      const auto file = services_file(services, "bench.yaml", "dry" + std::to_string(i));
      const auto start = std::chrono::steady_clock::now();
      EXPECT_TRUE(lbctl(1, {"apply", "-f", file.string(), "--dry-run"}).ok());
      dry.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
    std::printf(
        "PROFILE %s: served=%.1f lbctl_returned=%.1f lbctl_dry_run=%.1f primary_commit=%.1f "
        "ssh_connect_kex=%.1f ssh_auth=%.1f sshd_and_receiver=%.1f (ms, medians)\n",
        name, median(total), median(lbctl_returned), median(dry),
        median_of(log, "here: validate+write", "validate+write "),
        median_of(log, "config request to", "connect+kex "),
        median_of(log, "config request to", "auth "),
        median_of(log, "config request to", "receiver "));
    return median(total);
  };
  // What lbctl alone costs: process start in the namespace and one local gRPC call.
  std::vector<double> status_calls;
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(lbctl(1, {"replication", "status"}).ok());
    status_calls.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::printf("PROFILE lbctl_replication_status=%.1f ms (process start + one local gRPC call)\n",
              median(status_calls));
  const double small = measure(1, "small");
  const double large = measure(1000, "1000vs");
  std::printf("RESULT apply_small_ms=%.1f\nRESULT apply_1000vs_ms=%.1f\n", small, large);
}

}  // namespace
}  // namespace lbha::pairing
