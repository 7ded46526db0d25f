// The local attacks of issue 14, hole 1, performed for real (label lab, root).
//
// An unprivileged login user (the role `loadbalancer` had) tries to replace a
// root-owned node.yaml and to redirect root's atomic write with a symlink at
// the temp name; a group-writable node.yaml or hook stops heartbeatd before
// any hook could run. Users in group lbha and lbha-admin call real daemons
// (heartbeatd, proxyd) through the real lbctl: status is read, make-active
// and halt are changes.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "tests/lab/binaries.hpp"
#include "tests/lab/command.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/wait.hpp"

namespace lbha {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace v1 = lbha::v1;

// A user made for one test and removed after it (with its home).
class test_user {
 public:
  test_user(const std::string& suffix, const std::vector<std::string>& groups)
      : name_("lbsec" + std::to_string(::getpid()) + suffix) {
    std::vector<std::string> argv{"useradd", "--create-home", "--shell", "/bin/sh"};
    if (!groups.empty()) {
      std::string list;
      for (const auto& g : groups) list += (list.empty() ? "" : ",") + g;
      argv.insert(argv.end(), {"--groups", list});
    }
    argv.push_back(name_);
    lab::run_checked(argv);
  }
  ~test_user() { lab::run_command({"userdel", "--remove", name_}); }
  test_user(const test_user&) = delete;
  test_user& operator=(const test_user&) = delete;

  const std::string& name() const { return name_; }
  uid_t uid() const { return ::getpwnam(name_.c_str())->pw_uid; }
  // Runs `argv` as this user, with their groups (runuser does initgroups).
  lab::command_result run(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"runuser", "-u", name_, "--"});
    return lab::run_command(argv);
  }

 private:
  std::string name_;
};

void ensure_group(const char* name) {
  if (::getgrnam(name) != nullptr) return;
  auto r = lab::run_command({"groupadd", "--system", name});
  if (!r.ok() && ::getgrnam(name) == nullptr)
    throw lab::lab_error("groupadd " + std::string(name) + ": " + r.err);
}

// Lets every user reach the lab's files (adds search bits only, as ssh_pair does).
void open_path_for_search(const fs::path& dir) {
  for (auto p = dir; p != p.root_path(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) ::chmod(p.c_str(), (st.st_mode & 07777) | 0055);
  }
}

std::string content_of(const fs::path& p) {
  auto r = read_file(p);
  return r ? r.value() : "<" + r.error().message() + ">";
}

class local_security_test : public lab::lab_test {
 protected:
  lab::lab& up() {
    auto& l = make_lab({.lb_nodes = 2, .servers = 1, .clients = 0});
    lb_ = &l.lb(1);
    open_path_for_search(lb_->dir);
    fs::create_directories(lb_->state_dir());
    fs::create_directories(lb_->run_dir());
    return l;
  }

  lab::process& start_heartbeatd(lab::lab& l) {
    // One log per start: the refusals below are told apart by their own logs.
    return l.start(lb_->name, "heartbeatd-" + std::to_string(++starts_),
                   {lab::built_binary(LBHA_HEARTBEATD_PATH).string(), "--node-config",
                    lb_->node_yaml().string()});
  }

  // heartbeatd must stop at start with an error naming `file` and its fix.
  void expect_refused(lab::lab& l, const fs::path& file, const std::string& fix) {
    auto& daemon = start_heartbeatd(l);
    auto status = daemon.wait(10s);
    ASSERT_TRUE(status) << "heartbeatd started with an untrusted " << file;
    EXPECT_FALSE(status->success());
    const auto logs = daemon.logs();
    EXPECT_NE(logs.find(file.string()), std::string::npos) << logs;
    EXPECT_NE(logs.find(fix + " " + file.string()), std::string::npos) << logs;
    EXPECT_FALSE(fs::exists(socket_path(lb_->run_dir(), "heartbeatd")));
  }

  const lab::node* lb_ = nullptr;
  int starts_ = 0;
};

TEST_F(local_security_test, a_login_user_cannot_replace_node_yaml_nor_redirect_roots_writes) {
  auto& l = up();
  l.write_node_yaml(1);
  const auto original = content_of(lb_->node_yaml());
  test_user login("u", {});

  // The config dir and node.yaml are root's (0755 / 0644): every way in is refused.
  EXPECT_FALSE(
      login
          .run({"sh", "-c", "echo 'notify: {on_active: /tmp/evil}' > " + lb_->node_yaml().string()})
          .ok());
  EXPECT_FALSE(login.run({"cp", "/etc/hostname", lb_->node_yaml().string()}).ok());
  EXPECT_FALSE(login.run({"ln", "-sf", "/etc/hostname", lb_->node_yaml().string()}).ok());
  EXPECT_FALSE(login
                   .run({"ln", "-s", "/etc/shadow",
                         lb_->node_yaml().string() + ".tmp." + std::to_string(::getpid())})
                   .ok());
  EXPECT_EQ(content_of(lb_->node_yaml()), original);

  // Where the user can write (a directory of theirs, as /var/lib/lbha was the
  // login user's), a symlink at the old temp name `<file>.tmp.<pid>` of root's
  // writer and at new-style names point at a root-only file.
  const auto victim = lb_->dir / "victim";
  ASSERT_TRUE(write_file_atomically(victim, "precious\n", 0600));
  const auto theirs = lb_->dir / "theirs";
  fs::create_directories(theirs);
  ASSERT_EQ(::chown(theirs.c_str(), login.uid(), 0), 0);
  const auto target = theirs / "term";
  const std::vector<fs::path> planted{target.string() + ".tmp." + std::to_string(::getpid()),
                                      theirs / ".term.tmp.0000000000000000",
                                      theirs / ".term.tmp.ffffffffffffffff"};
  for (const auto& link : planted)
    ASSERT_TRUE(login.run({"ln", "-s", victim.string(), link.string()}).ok()) << link;

  // Root's write path runs: the file is replaced, the victim is not touched.
  ASSERT_TRUE(write_file_atomically(target, "term: 7\n"));
  EXPECT_EQ(content_of(victim), "precious\n");
  EXPECT_EQ(content_of(target), "term: 7\n");
  EXPECT_FALSE(fs::is_symlink(target));
  // The stale-temp sweep at daemon start leaves the links (and their target) alone.
  ASSERT_TRUE(remove_stale_temps(theirs));
  for (const auto& link : planted) EXPECT_TRUE(fs::is_symlink(link)) << link;
  EXPECT_EQ(content_of(victim), "precious\n");
}

TEST_F(local_security_test, a_group_writable_node_yaml_or_hook_stops_the_daemon_before_any_hook) {
  auto& l = up();
  const auto marker = lb_->dir / "hook-ran";
  const auto hook = lb_->etc_dir() / "on_active.sh";
  ASSERT_TRUE(write_file_atomically(hook, "#!/bin/sh\ntouch " + marker.string() + "\n", 0775));
  auto node = l.node_config(1);
  node.mutable_notify()->set_on_active(hook.string());
  node.mutable_notify()->set_on_passive(hook.string());
  node.mutable_notify()->set_on_fault(hook.string());
  l.write_node_yaml(1, node);

  expect_refused(l, hook, "chmod go-w");
  ::chmod(hook.c_str(), 0755);
  ::chmod(lb_->node_yaml().c_str(), 0664);
  expect_refused(l, lb_->node_yaml(), "chmod go-w");
  ::chmod(lb_->node_yaml().c_str(), 0644);
  ::chmod(lb_->etc_dir().c_str(), 0775);
  expect_refused(l, lb_->etc_dir(), "chmod go-w");
  ::chmod(lb_->etc_dir().c_str(), 0755);
  test_user login("h", {});
  ASSERT_EQ(::chown(hook.c_str(), login.uid(), 0), 0);
  expect_refused(l, hook, "chown root");
  EXPECT_FALSE(fs::exists(marker)) << "a hook ran";

  // Control: the same files, root's and 0755/0644, start the daemon.
  ASSERT_EQ(::chown(hook.c_str(), 0, 0), 0);
  start_heartbeatd(l);
  EXPECT_TRUE(
      lab::wait_until([&] { return fs::exists(socket_path(lb_->run_dir(), "heartbeatd")); }, 10s))
      << l.logs();
}

TEST_F(local_security_test, group_lbha_reads_and_only_lbha_admin_changes) {
  auto& l = up();
  ensure_group("lbha");
  ensure_group("lbha-admin");
  test_user reader("r", {"lbha"});
  // The sockets are group lbha (the run dir's): an admin is in both groups.
  test_user admin("a", {"lbha", "lbha-admin"});
  test_user stranger("s", {});

  v1::ClusterConfig cluster;
  cluster.set_generation(1);
  auto* vs = cluster.add_virtual_services();
  vs->set_label("web");
  vs->set_ip(lab::vip(0));
  auto* ports = vs->add_ports();
  ports->set_first(80);
  ports->set_last(80);
  auto* rs = vs->add_real_servers();
  rs->set_label("rs1");
  rs->set_ip(l.server(1).ipv4);
  config::apply_defaults(cluster);
  l.write_node_yaml(1);
  l.write_cluster_yaml(1, cluster);
  // As deploy/README.md: `install -d -o root -g lbha -m 2770 /run/lbha`.
  ASSERT_EQ(::chown(lb_->run_dir().c_str(), 0, ::getgrnam("lbha")->gr_gid), 0);
  ::chmod(lb_->run_dir().c_str(), 02770);

  l.start(
      lb_->name, "proxyd",
      {lab::built_binary(LBHA_PROXYD_PATH).string(), "--node-config", lb_->node_yaml().string()});
  start_heartbeatd(l);
  for (const char* d : {"proxyd", "heartbeatd"}) {
    ASSERT_TRUE(lab::wait_until([&] { return fs::exists(socket_path(lb_->run_dir(), d)); }, 10s))
        << d << " did not start\n"
        << l.logs();
  }
  auto rs1_state = [&] {
    auto stub = v1::Proxy::NewStub(unix_channel(socket_path(lb_->run_dir(), "proxyd")));
    auto ctx = context_with_deadline(2s);
    v1::ProxyStatus s;
    EXPECT_TRUE(stub->GetStatus(ctx.get(), {}, &s).ok());
    for (const auto& service : s.virtual_services())
      for (const auto& server : service.real_servers())
        if (server.label() == "rs1") return server.state();
    return v1::REAL_SERVER_STATE_UNSPECIFIED;
  };
  const auto before = rs1_state();
  ASSERT_NE(before, v1::REAL_SERVER_STATE_HALT);

  const std::string lbctl = lab::built_binary(LBHA_LBCTL_PATH).string();
  auto lbctl_as = [&](const test_user& u, std::vector<std::string> args) {
    args.insert(args.begin(), {lbctl, "--node-config", lb_->node_yaml().string(), "--run-dir",
                               lb_->run_dir().string()});
    return u.run(args);
  };

  // Read: lbctl status works for group lbha.
  auto status = lbctl_as(reader, {"status"});
  EXPECT_TRUE(status.ok()) << status.out << status.err;
  EXPECT_NE(status.out.find("web"), std::string::npos) << status.out;

  // Change: refused with the group named, and nothing changed.
  auto active = lbctl_as(reader, {"make-active", "--force"});
  EXPECT_FALSE(active.ok());
  EXPECT_NE(active.err.find("permission denied"), std::string::npos) << active.err;
  EXPECT_NE(active.err.find("lbha-admin"), std::string::npos) << active.err;
  auto halt = lbctl_as(reader, {"halt", "web", "rs1", "--runtime-only"});
  EXPECT_FALSE(halt.ok());
  EXPECT_NE(halt.err.find("lbha.v1.Proxy/SetRealServerState changes the node and needs root or "
                          "membership of group lbha-admin"),
            std::string::npos)
      << halt.err;
  EXPECT_EQ(rs1_state(), before);

  // Someone in neither group does not even reach the socket (0660, group lbha).
  auto strange = lbctl_as(stranger, {"status"});
  EXPECT_FALSE(strange.ok());

  // lbha-admin may change.
  auto admin_halt = lbctl_as(admin, {"halt", "web", "rs1", "--runtime-only"});
  EXPECT_TRUE(admin_halt.ok()) << admin_halt.out << admin_halt.err;
  EXPECT_EQ(rs1_state(), v1::REAL_SERVER_STATE_HALT);
}

}  // namespace
}  // namespace lbha
