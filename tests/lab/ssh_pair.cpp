#include "tests/lab/ssh_pair.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "common/atomic_file.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;


void set_owner_and_mode(const std::filesystem::path& dir, uid_t uid, gid_t gid, mode_t mode) {
  if (::chown(dir.c_str(), uid, gid) != 0 || ::chmod(dir.c_str(), mode) != 0) {
    throw lab_error("cannot set owner and mode of " + dir.string());
  }
}

void write_or_throw(const std::filesystem::path& file, const std::string& content,
                    mode_t mode = 0644) {
  if (!write_file_atomically(file, content, mode)) {
    throw lab_error("cannot write " + file.string());
  }
}

}  // namespace

std::string random_login_password() {
  std::random_device rd;
  char out[17];
  std::snprintf(out, sizeof out, "%08x%08x", rd(), rd());
  return std::string("lab-") + out;
}

ssh_pair::ssh_pair(lab& lab, ssh_pair_binaries binaries,
                   std::function<void(int, lbha::v1::NodeConfig&)> edit_node)
    : lab_(lab), binaries_(std::move(binaries)) {
  ensure_login_user();
  // The login user runs the relay, which reads node.yaml and reaches receive.sock.
  // Only adds search permission for others; never removes a bit (e.g. /tmp's sticky 1777).
  for (auto p = lab_.dir(); p != p.root_path(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) ::chmod(p.c_str(), (st.st_mode & 07777) | 0055);
  }
  for (int i = 1; i <= 2; ++i) setup_node(i, edit_node);
}

void ssh_pair::ensure_login_user() {
  if (::getpwnam(login_user) == nullptr) {
    auto r = run_command({"useradd", "--create-home", "--shell", "/bin/sh", login_user});
    if (!r.ok()) throw lab_error("useradd: " + r.err);
  }
  password_ = random_login_password();
  auto r = run_command({"chpasswd"}, {.stdin_data = std::string(login_user) + ":" + password_ + "\n"});
  if (!r.ok()) throw lab_error("chpasswd: " + r.err);
  const passwd* pw = ::getpwnam(login_user);
  uid_ = pw->pw_uid;
  gid_ = pw->pw_gid;
  if (::getgrnam(run_group) == nullptr) {
    auto g = run_command({"groupadd", "--system", run_group});
    if (!g.ok() && ::getgrnam(run_group) == nullptr) throw lab_error("groupadd: " + g.err);
  }
  // Earlier setups made the login user a member; the model now is that it is not.
  const group* run = ::getgrnam(run_group);
  for (char** member = run->gr_mem; member != nullptr && *member != nullptr; ++member) {
    if (std::string(*member) != login_user) continue;
    auto m = run_command({"gpasswd", "-d", login_user, run_group});
    if (!m.ok()) throw lab_error("gpasswd -d " + std::string(login_user) + ": " + m.err);
    break;
  }
  run_gid_ = ::getgrnam(run_group)->gr_gid;
}

std::filesystem::path ssh_pair::ssh_dir(int i) const { return lab_.lb(i).dir / "ssh"; }

std::filesystem::path ssh_pair::authorized_keys(int i) const {
  return lab_.lb(i).dir / "home" / "authorized_keys";
}

void ssh_pair::setup_node(int i,
                          const std::function<void(int, lbha::v1::NodeConfig&)>& edit_node) {
  const auto& lb = lab_.lb(i);
  auto node = lab_.node_config(i);
  node.mutable_ssh()->set_user(login_user);
  node.mutable_ssh()->set_receive_command(built_binary(binaries_.receive_config).string());
  node.mutable_ssh()->set_authorized_keys(authorized_keys(i).string());
  if (edit_node) edit_node(i, node);
  lab_.write_node_yaml(i, node);
  std::filesystem::create_directories(lb.state_dir());
  std::filesystem::create_directories(lb.run_dir());
  std::filesystem::create_directories(authorized_keys(i).parent_path());
  // As deploy/README.md: root's config and state dirs, the run dir
  // `install -d -o root -g lbha -m 2751 /run/lbha`, and the login user's own
  // (home) dir for authorized_keys, which root's replicatord writes as that user.
  set_owner_and_mode(lb.dir, 0, 0, 0755);
  set_owner_and_mode(lb.etc_dir(), 0, 0, 0755);
  set_owner_and_mode(lb.state_dir(), 0, 0, 0700);
  set_owner_and_mode(lb.run_dir(), 0, run_gid_, 02751);
  set_owner_and_mode(authorized_keys(i).parent_path(), uid_, gid_, 0700);

  std::filesystem::create_directories(ssh_dir(i));
  make_host_key(i);
  std::filesystem::create_directories("/run/sshd");  // sshd's privilege separation dir
  write_or_throw(ssh_dir(i) / "sshd_config",
                 "Port 22\nListenAddress " + lb.ipv4 +
                     "\nHostKey " + (ssh_dir(i) / "host_ed25519").string() +
                     "\nPidFile " + (ssh_dir(i) / "sshd.pid").string() +
                     "\nAuthorizedKeysFile " + authorized_keys(i).string() +
                     "\nPasswordAuthentication yes\nKbdInteractiveAuthentication no"
                     "\nPubkeyAuthentication yes\nUsePAM no\nPermitRootLogin no\nStrictModes no"
                     "\nAllowUsers " + login_user +
                     "\nSetEnv LBHA_NODE_CONFIG=" + lb.node_yaml().string() + "\n");
  start_sshd(i);
}

void ssh_pair::make_host_key(int i) {
  std::error_code ec;
  std::filesystem::remove(ssh_dir(i) / "host_ed25519", ec);
  std::filesystem::remove(ssh_dir(i) / "host_ed25519.pub", ec);
  run_checked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
               (ssh_dir(i) / "host_ed25519").string()});
}

std::string ssh_pair::host_fingerprint(int i) {
  auto r = run_checked({"ssh-keygen", "-l", "-f", (ssh_dir(i) / "host_ed25519.pub").string()});
  auto start = r.out.find("SHA256:");
  if (start == std::string::npos) throw lab_error("ssh-keygen -l: " + r.out);
  return r.out.substr(start, r.out.find(' ', start) - start);
}

void ssh_pair::start_sshd(int i) {
  const auto& lb = lab_.lb(i);
  sshd_.at(i) = &lab_.start(lb.name, "sshd",
                            {"/usr/sbin/sshd", "-D", "-e", "-f",
                             (ssh_dir(i) / "sshd_config").string()});
  if (!wait_until([&] { return tcp_connect(lb.netns, lb.ipv4, 22, 200ms); }, 5s)) {
    throw lab_error("sshd did not start on " + lb.name + ":\n" + sshd_.at(i)->logs());
  }
}

void ssh_pair::stop_sshd(int i) {
  if (sshd_.at(i) != nullptr) sshd_.at(i)->stop();
}

process& ssh_pair::start_replicatord(int i, std::vector<std::string> extra) {
  const auto& lb = lab_.lb(i);
  std::vector<std::string> argv{built_binary(binaries_.replicatord).string(),
                                "--node-config",
                                lb.node_yaml().string(),
                                "--catch-up-interval-ms",
                                std::to_string(catch_up_interval_.count()),
                                "--catch-up-max-backoff-ms",
                                std::to_string(catch_up_max_backoff_.count()),
                                "--log-level",
                                "debug"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  replicatord_.at(i) = &lab_.start(lb.name, "replicatord", argv);
  auto sock = lb.run_dir() / "replicatord.sock";
  if (!wait_until([&] { return std::filesystem::exists(sock); }, 5s)) {
    throw lab_error("replicatord did not start on " + lb.name + ":\n" +
                    replicatord_.at(i)->logs());
  }
  return *replicatord_.at(i);
}

command_result ssh_pair::lbctl(int i, std::vector<std::string> args, std::string stdin_data) {
  const auto& lb = lab_.lb(i);
  // node.yaml gives lbctl this node's directories (config, state, run).
  std::vector<std::string> argv{built_binary(binaries_.lbctl).string(), "--node-config",
                                lb.node_yaml().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return lab_.exec(lb.name, argv, {.timeout = 60s, .stdin_data = std::move(stdin_data)});
}

std::filesystem::path ssh_pair::password_file(const std::string& password) {
  auto file = lab_.dir() / "password";
  write_or_throw(file, password + "\n", 0600);
  return file;
}

command_result ssh_pair::pair() { return pair(password_); }

command_result ssh_pair::pair(const std::string& password) {
  return pair(password, host_fingerprint(2));
}

command_result ssh_pair::pair(const std::string& password, const std::string& fingerprint) {
  // --keep-password: the login user is shared by parallel lab runs; locking it would break theirs.
  return lbctl(1, {"pair", "--peer", lab_.lb(2).ipv4, "--password-file",
                   password_file(password).string(), "--expect-fingerprint", fingerprint,
                   "--keep-password"});
}

}  // namespace lbha::lab
