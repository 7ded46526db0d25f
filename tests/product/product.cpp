#include "tests/product/product.hpp"

#include <algorithm>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "tests/lab/audit.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/ssh_pair.hpp"
#include "tests/lab/wait.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;


std::filesystem::path binary_of(const std::string& daemon) {
  if (daemon == "heartbeatd") return built_binary(LBHA_HEARTBEATD_PATH);
  if (daemon == "proxyd") return built_binary(LBHA_PROXYD_PATH);
  if (daemon == "syncd") return built_binary(LBHA_SYNCD_PATH);
  if (daemon == "replicatord") return built_binary(LBHA_REPLICATORD_PATH);
  if (daemon == product_lab::webd) return built_binary(LBHA_WEBD_PATH);
  throw lab_error("no lbha daemon called " + daemon);
}

std::filesystem::path lbctl_binary() { return built_binary(LBHA_LBCTL_PATH); }

// A file of the source tree that the package installs (its PAM service, sysusers).
std::filesystem::path packaged_file(const std::string& path) {
  return test_support::in_build_tree(LBHA_SOURCE_DIR) / path;
}

// How the package's unit starts each daemon: lbha-webd drops to its user (the
// others run as root here, as the catalogue always has).
std::vector<std::string> argv_of(const std::string& daemon) {
  std::vector<std::string> argv{binary_of(daemon).string()};
  if (daemon == product_lab::webd) argv.insert(argv.end(), {"--user", "lbha-web"});
  return argv;
}

// The real servers: name, port, lab node.
struct real_server {
  const char* name;
  std::uint16_t port;
  int server;
};
constexpr real_server real_servers[] = {{"IIS1", product_lab::iis_port, 1},
                                        {"IIS2", product_lab::iis_port, 2},
                                        {"DA1", product_lab::da_port, 1},
                                        {"DA2", product_lab::da_port, 2}};

}  // namespace

product_lab::product_lab(product_options options) : options_(std::move(options)) {
  lab_ = std::make_unique<class lab>(lab_options{.lb_nodes = 2,
                                                 .servers = 2,
                                                 .clients = 3,
                                                 .ipv6 = options_.ipv6,
                                                 .containers = true,
                                                 .kept = options_.kept});
  start_real_servers();
  for (int i = 1; i <= 2; ++i) setup_node(i);
  if (options_.configure) up();
}

product_lab::~product_lab() = default;

void product_lab::start_real_servers() {
  for (const auto& rs : real_servers) {
    const auto& n = lab_->server(rs.server);
    lab_->start(n.name, rs.name,
                {lab_server_binary().string(), n.ipv4, std::to_string(rs.port), "--name", rs.name},
                {.die_with_lab_process = !options_.kept});
  }
  for (const auto& rs : real_servers) {
    const auto& n = lab_->server(rs.server);
    if (!wait_until([&] { return tcp_connect(n.netns, n.ipv4, rs.port, 200ms); }, 5s)) {
      throw lab_error(std::string("real server ") + rs.name + " did not start:\n" + logs());
    }
  }
}

void product_lab::setup_node(int i) {
  const auto& n = lb(i);
  // The package's users and groups (deploy/README.md), in the node's own /etc.
  for (const char* group : {"lbha", "lbha-admin"}) {
    lab_->exec_checked(n.name, {"groupadd", "-f", "--system", group});
  }
  if (!lab_->exec(n.name, {"id", "-u", login_user}).ok()) {
    lab_->exec_checked(n.name, {"useradd", "--shell", "/bin/sh", login_user});
  }
  // The login user is in no group but its own (the host's copy may say otherwise).
  lab_->exec(n.name, {"gpasswd", "-d", login_user, "lbha"});
  lab_->exec(n.name, {"gpasswd", "-d", login_user, "lbha-admin"});
  lab_->exec_checked(n.name, {"install", "-d", "-o", login_user, "-g", login_user, "-m", "0755",
                              "/home/" + std::string(login_user)});
  passwords_.at(i) = random_login_password();
  lab_->exec_checked(n.name, {"chpasswd"},
                     {.stdin_data = std::string(login_user) + ":" + passwords_.at(i) + "\n"});
  // The node's own sshd host keys.
  lab_->exec_checked(n.name, {"sh", "-c", "rm -f /etc/ssh/ssh_host_*_key* && ssh-keygen -A"});

  auto config = lab_->node_config(i);
  config.mutable_ssh()->set_receive_command(built_binary(LBHA_RECEIVE_CONFIG_PATH).string());
  auto* ping = config.add_ping_nodes();
  ping->set_address(ping_node().ipv4);
  ping->set_method(lbha::v1::PingNode::METHOD_ICMP);
  if (options_.edit_node) options_.edit_node(i, config);
  config::apply_defaults(config);
  lab_->write_node_yaml(i, config);
  if (options_.web) setup_web(i);
  prepare_boot(i);
  start_sshd(i);
}

void product_lab::setup_web(int i) {
  const auto& n = lb(i);
  // What the package's postinst and files do: its system users (lbha-web),
  // its PAM service.
  lab_->exec_checked(n.name, {"systemd-sysusers", packaged_file("debian/lbha.sysusers").string()});
  const auto pam = packaged_file("packaging/pam/lbha-webd");
  auto content = read_file(pam);
  if (!content) throw lab_error(pam.string() + ": " + content.error().message());
  if (auto r = write_file_atomically(n.root_dir() / "etc/pam.d/lbha-webd", content.value(), 0644);
      !r) {
    throw lab_error("cannot install " + pam.string() + " on " + n.name + ": " +
                    r.error().message());
  }
  add_web_user(i, web_admin, "lbha-admin");
  add_web_user(i, web_viewer, "lbha");
}

std::string product_lab::add_web_user(int i, const std::string& user, const std::string& group) {
  const auto& n = lb(i);
  if (lab_->exec(n.name, {"id", "-u", user}).ok()) {
    lab_->exec_checked(n.name, {"usermod", "-G", group, user});
  } else {
    lab_->exec_checked(
        n.name, {"useradd", "--no-create-home", "--shell", "/bin/sh", "--groups", group, user});
  }
  auto password = random_login_password();
  lab_->exec_checked(n.name, {"chpasswd"}, {.stdin_data = user + ":" + password + "\n"});
  web_passwords_.at(i)[user] = password;
  return password;
}

const std::string& product_lab::web_password(int i, const std::string& user) const {
  const auto& known = web_passwords_.at(i);
  const auto it = known.find(user);
  if (it == known.end()) throw lab_error("no WebUI user " + user + " on " + lb(i).name);
  return it->second;
}

std::filesystem::path product_lab::web_certificate(int i) const {
  return lb(i).etc_dir() / "web/cert.pem";
}

void product_lab::prepare_boot(int i) {
  // What the package's tmpfiles.d does at every boot, and sshd's privilege separation dir.
  lab_->exec_checked(lb(i).name,
                     {"install", "-d", "-o", "root", "-g", "lbha", "-m", "2751", "/run/lbha"});
  lab_->exec_checked(lb(i).name, {"install", "-d", "-m", "0755", "/run/sshd"});
  lab_->exec_checked(lb(i).name, {"chmod", "0700", "/var/lib/lbha"});
  // lbha-webd's certificate directory (the package's tmpfiles.d).
  if (options_.web) {
    lab_->exec_checked(lb(i).name, {"install", "-d", "-m", "0755", "/etc/lbha/web"});
  }
}

void product_lab::start_sshd(int i) {
  const auto& n = lb(i);
  auto& sshd = start(i, "sshd", {"/usr/sbin/sshd", "-D", "-e"});
  if (!wait_until([&] { return tcp_connect(n.netns, n.ipv4, 22, 200ms); }, 5s)) {
    throw lab_error("sshd did not start on " + n.name + ":\n" + sshd.logs());
  }
}

process& product_lab::start_daemon(int i, const std::string& name) {
  const auto& n = lb(i);
  const auto socket = n.run_dir() / (name + ".sock");
  auto& p = start(i, name, argv_of(name));
  daemons_.at(i)[name] = &p;
  if (!wait_until([&] { return std::filesystem::exists(socket) || !p.running(); }, 10s) ||
      !p.running()) {
    throw lab_error("lbha-" + name + " did not start on " + n.name + ":\n" + p.logs());
  }
  // webd opens its HTTPS port before its socket: the port answers now, as the
  // browser needs it to.
  if (name == webd && !tcp_connect(n.netns, n.ipv4, web_port, 1s)) {
    throw lab_error("lbha-webd does not answer on " + n.ipv4 + ":" + std::to_string(web_port) +
                    " on " + n.name + ":\n" + p.logs());
  }
  return p;
}

process& product_lab::start(int i, const std::string& name, const std::vector<std::string>& argv) {
  return lab_->start(lb(i).name, name, argv, {.die_with_lab_process = !options_.kept});
}

void product_lab::keep(const std::filesystem::path& state_file) {
  lab_->save_state(state_file);
  lab_->detach();
}

void product_lab::start_daemons(int i) {
  for (const char* name : daemons) start_daemon(i, name);
  if (options_.web) start_daemon(i, webd);
}

process* product_lab::daemon(int i, const std::string& name) const {
  const auto& map = daemons_.at(i);
  const auto it = map.find(name);
  return it == map.end() ? nullptr : it->second;
}

std::vector<process*> product_lab::running_daemons() const {
  std::vector<process*> out;
  for (const auto& map : daemons_) {
    for (const auto& [name, p] : map) out.push_back(p);
  }
  return out;
}

void product_lab::kill_daemon(int i, const std::string& name) {
  if (auto* p = daemon(i, name)) p->kill();
  daemons_.at(i).erase(name);
}

void product_lab::stop_daemon(int i, const std::string& name) {
  if (auto* p = daemon(i, name)) p->stop();
  daemons_.at(i).erase(name);
}

void product_lab::power_off(int i) {
  daemons_.at(i).clear();
  lab_->power_off(lb(i).name);
}

void product_lab::boot(int i) {
  lab_->boot(lb(i).name);
  prepare_boot(i);
  start_sshd(i);
  start_daemons(i);
}

void product_lab::up() {
  for (int i = 1; i <= 2; ++i) start_daemons(i);
  if (auto paired = pair(); !paired.ok()) {
    throw lab_error("lbctl pair failed: " + paired.describe({"lbctl", "pair"}) + "\n" +
                    paired.out + "\n" + logs());
  }
  configure_services();
  if (wait_for_single_owner(15s) == 0) {
    throw lab_error("no single owner of the VIPs after configuring the pair\n" + logs());
  }
}

command_result product_lab::pair() {
  const auto file = lab_->dir() / "password";
  if (!write_file_atomically(file, passwords_.at(2) + "\n", 0600)) {
    throw lab_error("cannot write " + file.string());
  }
  return lbctl(1, {"pair", "--peer", lb(2).ipv4, "--password-file", file.string(),
                   "--expect-fingerprint", host_fingerprint(2), "--lock-password"});
}

std::vector<std::vector<std::string>> product_lab::seed_commands() const {
  std::vector<std::vector<std::string>> commands = {
      {"vip", "add", "IIS_VIP", "--ip", iis_vip, "--ports", std::to_string(iis_port),
       "--persistence", "source_ip", "--check", "connect"},
      {"rip", "add", "IIS_VIP", "IIS1", "--ip", lab_->server(1).ipv4},
      {"rip", "add", "IIS_VIP", "IIS2", "--ip", lab_->server(2).ipv4},
      {"vip", "add", "DA_VIP", "--ip", da_vip, "--ports", std::to_string(da_port),
       "--persistence", "none", "--client-timeout", "5m", "--server-timeout", "5m"},
      {"rip", "add", "DA_VIP", "DA1", "--ip", lab_->server(1).ipv4},
      {"rip", "add", "DA_VIP", "DA2", "--ip", lab_->server(2).ipv4}};
  if (options_.ipv6) {
    commands.push_back({"vip", "add", "IIS6_VIP", "--ip", iis6_vip, "--ports",
                        std::to_string(iis_port), "--persistence", "source_ip", "--check",
                        "connect"});
    commands.push_back({"rip", "add", "IIS6_VIP", "IIS1", "--ip", lab_->server(1).ipv4});
    commands.push_back({"rip", "add", "IIS6_VIP", "IIS2", "--ip", lab_->server(2).ipv4});
  }
  return commands;
}

void product_lab::configure_services() {
  for (const auto& args : seed_commands()) {
    auto r = lbctl(1, args);
    if (!r.ok()) throw lab_error(r.describe(args) + "\n" + r.out + "\n" + logs());
  }
}

command_result product_lab::lbctl(int i, std::vector<std::string> args,
                                  std::string stdin_data) const {
  std::vector<std::string> argv{lbctl_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return lab_->exec(lb(i).name, argv, {.timeout = 60s, .stdin_data = std::move(stdin_data)});
}

command_result product_lab::lbctl_as(int i, const std::string& user,
                                     std::vector<std::string> args) const {
  std::vector<std::string> argv{"runuser", "-u", user, "--", lbctl_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return lab_->exec(lb(i).name, argv, {.timeout = 60s});
}

std::string product_lab::host_fingerprint(int i) const {
  auto r = lab_->exec_checked(lb(i).name, {"ssh-keygen", "-l", "-f",
                                           "/etc/ssh/ssh_host_ed25519_key.pub"});
  const auto start = r.out.find("SHA256:");
  if (start == std::string::npos) throw lab_error("ssh-keygen -l: " + r.out);
  return r.out.substr(start, r.out.find(' ', start) - start);
}

int product_lab::owner_of(const std::string& vip) const {
  const auto wanted = canonical_ip(vip).value_or(vip);
  int owner = 0;
  for (int i = 1; i <= 2; ++i) {
    if (lb(i).container_pid <= 0) continue;  // powered off: holds nothing
    // The same reading of `ip -j addr` as the audits' one-owner check.
    const auto held =
        addresses_in_ip_addr(lab_->exec(lb(i).name, {"ip", "-j", "addr", "show", "dev", "eth0"}).out);
    if (std::find(held.begin(), held.end(), wanted) == held.end()) continue;
    owner = owner == 0 ? i : -1;
  }
  return owner;
}

std::vector<std::string> product_lab::vips() const {
  std::vector<std::string> out{iis_vip, da_vip};
  if (options_.ipv6) out.push_back(iis6_vip);
  return out;
}

int product_lab::wait_for_single_owner(std::chrono::milliseconds timeout) const {
  int owner = 0;
  const auto all = vips();
  const bool single = wait_until(
      [&] {
        owner = owner_of(all.front());
        return owner > 0 && std::all_of(all.begin(), all.end(),
                                        [&](const auto& v) { return owner_of(v) == owner; });
      },
      timeout, 50ms);
  return single ? owner : 0;
}

}  // namespace lbha::lab
