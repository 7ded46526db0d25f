// lbctl pair / unpair / apply / replication status: the front end of
// lbha-replicatord (lbha.v1.Replication on <run-dir>/replicatord.sock).
//
// The peer's password is read from the terminal with echo off, or from the
// first line of --password-file; it never appears in argv and lbctl never
// prints it. `apply` parses the file here, so errors name its lines, shows
// the diff against the committed config and goes through the commit path
// shared with vip/rip (config_commit.hpp): the daemon commits it
// (generation + 1) and pushes it to the secondary.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_commit.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/pair_status_view.hpp"
#include "cli/render.hpp"
#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "lbha/v1/replication.grpc.pb.h"

namespace lbha::cli {

namespace {

// replicatord answers status from its io_context, but may be busy starting a push.
constexpr std::chrono::milliseconds status_timeout{5000};

std::unique_ptr<v1::Replication::Stub> stub(const cli_context& context) {
  return stub_for<v1::Replication>(context, "replicatord");
}

void print_result(const v1::ReplicationResult& result, cli_context& context) {
  context.exit_code = result.ok() ? exit_code::ok : exit_code::failed;
  if (context.json) {
    *context.out << to_json(result);
    return;
  }
  print_nodes(result, *context.out);
  (result.ok() ? *context.out : *context.err) << result.message() << "\n";
}

// Asks on the terminal and reads one line, with echo off for secrets.
// nullopt when there is no terminal.
std::optional<std::string> ask_tty(const std::string& prompt, bool echo) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  termios saved{};
  const bool is_tty = ::tcgetattr(fd, &saved) == 0;
  if (!is_tty) {
    ::close(fd);
    return std::nullopt;
  }
  if (!echo) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  if (!echo) {
    ::tcsetattr(fd, TCSAFLUSH, &saved);
    (void)!::write(fd, "\n", 1);
  }
  ::close(fd);
  return line;
}

bool has_terminal() {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  termios t{};
  const bool ok = ::tcgetattr(fd, &t) == 0;
  ::close(fd);
  return ok;
}

// yes/no on the terminal until one of them is typed; nullopt without a terminal.
std::optional<bool> ask_yes_no(const std::string& question) {
  for (;;) {
    auto answer = ask_tty(question + " [yes/no] ", true);
    if (!answer) return std::nullopt;
    if (*answer == "yes") return true;
    if (*answer == "no") return false;
  }
}

std::optional<std::string> read_password_file(const std::string& file, cli_context& context) {
  auto text = read_file(file);
  if (!text) {
    *context.err << "lbctl: cannot read " << file << ": " << text.error().message() << "\n";
    return std::nullopt;
  }
  std::string password = text.value().substr(0, text.value().find('\n'));
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

struct pair_options {
  std::string peer;
  std::string password_file;
  std::string expect_fingerprint;
  bool lock_password = false;
  bool keep_password = false;
  bool show_fingerprint = false;
};

// "ssh-ed25519" -> /etc/ssh/ssh_host_ed25519_key.pub, where the peer's admin finds it.
std::string host_key_file(const std::string& key_type) {
  std::string kind = "ed25519";
  if (key_type.rfind("ecdsa", 0) == 0)
    kind = "ecdsa";
  else if (key_type == "ssh-rsa" || key_type.rfind("rsa", 0) == 0)
    kind = "rsa";
  return "/etc/ssh/ssh_host_" + kind + "_key.pub";
}

// The host key `peer` presents, read by replicatord; nullopt (with the reason
// printed) when it cannot be read.
std::optional<v1::PeerHostKey> fetch_host_key(const std::string& peer, cli_context& context) {
  v1::PeerHostKeyRequest request;
  request.set_peer_address(peer);
  v1::PeerHostKey key;
  auto ctx = context_with_deadline(change_timeout * 3);
  if (!rpc_ok(context, "replicatord", stub(context)->GetPeerHostKey(ctx.get(), request, &key))) {
    return std::nullopt;
  }
  if (!key.ok()) {
    *context.err << "lbctl: cannot read the host key of " << peer << ": " << key.message() << "\n";
    context.exit_code = exit_code::failed;
    return std::nullopt;
  }
  return key;
}

// `lbctl pair --peer X --show-fingerprint`: the key, to compare on the peer
// before pairing with --expect-fingerprint (the WebUI's first pairing step).
void show_host_key(const pair_options& options, cli_context& context) {
  auto key = fetch_host_key(options.peer, context);
  if (!key) return;
  context.exit_code = exit_code::ok;
  if (context.json) {
    *context.out << to_json(*key);
    return;
  }
  *context.out << options.peer << " presents the " << key->key_type() << " host key\n  "
               << key->fingerprint() << "\n(compare with `ssh-keygen -lf "
               << host_key_file(key->key_type()) << "` on " << options.peer << ")\n";
}

// The peer's host key as the operator confirmed it: --expect-fingerprint, or
// a yes on the terminal. nullopt (with the reason printed) otherwise.
std::optional<std::string> confirmed_host_key(const pair_options& options, cli_context& context) {
  const bool scripted = !options.expect_fingerprint.empty();
  if (scripted && options.expect_fingerprint.rfind("SHA256:", 0) != 0) {
    *context.err << "lbctl: --expect-fingerprint takes the SHA256:... fingerprint as "
                    "`ssh-keygen -lf` prints it\n";
    context.exit_code = exit_code::usage;
    return std::nullopt;
  }
  if (!scripted && !has_terminal()) {
    *context.err << "lbctl: no terminal to confirm " << options.peer
                 << "'s SSH host key; read it on the peer (ssh-keygen -lf "
                    "/etc/ssh/ssh_host_ed25519_key.pub) and pass it with --expect-fingerprint "
                    "SHA256:...\n";
    context.exit_code = exit_code::usage;
    return std::nullopt;
  }
  auto fetched = fetch_host_key(options.peer, context);
  if (!fetched) return std::nullopt;
  const auto& key = *fetched;
  if (scripted) {
    if (key.fingerprint() != options.expect_fingerprint) {
      *context.err << "lbctl: host_key_mismatch: " << options.peer << " presents host key "
                   << key.fingerprint() << ", not the expected " << options.expect_fingerprint
                   << "; not pairing, nothing was sent (possible impersonation)\n";
      context.exit_code = exit_code::failed;
      return std::nullopt;
    }
    return key.fingerprint();
  }
  // On the terminal, like the question: --json output stays JSON.
  auto yes = ask_yes_no(options.peer + " presents the " + key.key_type() + " host key\n  " +
                        key.fingerprint() + "\nIs this " + options.peer +
                        "'s host key? (compare with `ssh-keygen -lf " +
                        host_key_file(key.key_type()) + "` on " + options.peer + ")");
  if (!yes || !*yes) {
    *context.err << "lbctl: host key not confirmed; not pairing, nothing was sent\n";
    context.exit_code = exit_code::failed;
    return std::nullopt;
  }
  return key.fingerprint();
}

void run_pair(const pair_options& options, cli_context& context) {
  if (options.show_fingerprint) {
    show_host_key(options, context);
    return;
  }
  if (options.lock_password && options.keep_password) {
    *context.err << "lbctl: --lock-password and --keep-password exclude each other\n";
    context.exit_code = exit_code::usage;
    return;
  }
  auto fingerprint = confirmed_host_key(options, context);
  if (!fingerprint) return;
  auto password = options.password_file.empty()
                      ? ask_tty("Password of the SSH user on " + options.peer + ": ", false)
                      : read_password_file(options.password_file, context);
  if (!password) {
    if (options.password_file.empty()) {
      *context.err << "lbctl: no terminal to ask for the password; use --password-file FILE\n";
    }
    context.exit_code = options.password_file.empty() ? exit_code::usage : exit_code::failed;
    return;
  }
  bool lock = options.lock_password;
  if (!options.lock_password && !options.keep_password) {
    auto answer = ask_yes_no("Once paired, the SSH user's password on " + options.peer +
                             " is no longer needed. Lock it (usermod -L)?");
    lock = answer.value_or(false);
  }
  v1::PairRequest request;
  request.set_peer_address(options.peer);
  request.set_password(*password);
  request.set_expected_fingerprint(*fingerprint);
  request.set_lock_password(lock);
  password->assign(password->size(), '\0');
  v1::ReplicationResult result;
  auto ctx = context_with_deadline(commit_timeout);
  auto status = stub(context)->Pair(ctx.get(), request, &result);
  request.mutable_password()->assign(request.password().size(), '\0');
  if (!rpc_ok(context, "replicatord", status)) return;
  print_result(result, context);
  if (result.ok() && !context.json && !result.certificate_fingerprint().empty()) {
    *context.out << "pair certificate " << result.certificate_fingerprint()
                 << " (<state-dir>/pair.pem on both nodes)\n";
  }
}

void run_unpair(bool local_only, cli_context& context) {
  v1::UnpairRequest request;
  request.set_local_only(local_only);
  v1::ReplicationResult result;
  auto ctx = context_with_deadline(commit_timeout);
  if (!rpc_ok(context, "replicatord", stub(context)->Unpair(ctx.get(), request, &result))) return;
  print_result(result, context);
}

struct apply_options {
  std::string file;
  bool dry_run = false;
};

void run_apply(const apply_options& options, cli_context& context) {
  auto loaded = config::load_cluster_config(options.file);
  if (!loaded) {
    *context.err << loaded.error().message() << "\n";
    *context.err << options.file << ": not applied\n";
    context.exit_code = exit_code::failed;
    return;
  }
  // The diff's base; apply is also how a broken cluster.yaml is replaced.
  const auto file = context.config_dir / "cluster.yaml";
  std::error_code ec;
  v1::ClusterConfig committed;
  if (std::filesystem::exists(file, ec)) {
    auto current = config::load_cluster_config(file);
    if (current) {
      committed = std::move(current).value();
    } else {
      *context.err << "lbctl: " << file.string()
                   << " is invalid; showing the whole new config as the change\n";
    }
  }
  commit_config(committed, std::move(loaded).value(),
                {.dry_run = options.dry_run, .show_diff = true}, context);
}

void run_take_over(bool force, cli_context& context) {
  if (force && !context.json) {
    *context.err << "lbctl: warning: --force: if the primary is only cut off, both nodes act as "
                    "the config authority until it sees this node's higher term; changes made "
                    "on it meanwhile are lost\n";
  }
  v1::TakeOverRequest request;
  request.set_force(force);
  v1::ReplicationResult result;
  auto ctx = context_with_deadline(commit_timeout);
  if (!rpc_ok(context, "replicatord", stub(context)->TakeOver(ctx.get(), request, &result))) {
    return;
  }
  print_result(result, context);
}

void run_status(cli_context& context) {
  v1::ReplicationStatus status;
  auto ctx = context_with_deadline(status_timeout);
  if (!rpc_ok(context, "replicatord",
              stub(context)->GetStatus(ctx.get(), v1::ReplicationStatusRequest{}, &status))) {
    return;
  }
  context.exit_code = exit_code::ok;
  if (context.json) {
    *context.out << to_json(status);
    return;
  }
  *context.out << render_replication_text(status);
}

}  // namespace

void add_replication_commands(CLI::App& app, cli_context& context) {
  auto pair_opts = std::make_shared<pair_options>();
  auto* pair = app.add_subcommand("pair", "pair this node (the primary) with a secondary over SSH");
  pair->add_option("--peer", pair_opts->peer, "the secondary's address (its sshd)")->required();
  pair->add_option("--password-file", pair_opts->password_file,
                   "read the peer user's password from the first line of FILE instead of the "
                   "terminal");
  pair->add_option("--expect-fingerprint", pair_opts->expect_fingerprint,
                   "the peer's SSH host key fingerprint (SHA256:..., from `ssh-keygen -lf` on "
                   "the peer): no question asked, any other key refused");
  pair->add_flag("--lock-password", pair_opts->lock_password,
                 "once paired, lock the SSH user's password on the peer (usermod -L)");
  pair->add_flag("--keep-password", pair_opts->keep_password,
                 "once paired, leave the SSH user's password as it is");
  pair->add_flag("--show-fingerprint", pair_opts->show_fingerprint,
                 "print the peer's SSH host key fingerprint and stop (pairs nothing)");
  pair->footer(
      "Shows the peer's SSH host key fingerprint and asks whether it is the peer's (or takes\n"
      "--expect-fingerprint), then asks once for the password of the peer's SSH user (node.yaml\n"
      "ssh.user, default loadbalancer). The password is sent only to that host key. Pins it,\n"
      "installs this node's key on the peer behind a forced command, shares the heartbeat key\n"
      "and the pair certificate and pushes the cluster config. A pairing cut short is finished\n"
      "by running the same command again. Then offers to lock the password (usermod -L).\n"
      "Example:\n  lbctl pair --peer 192.0.2.2\n"
      "  lbctl pair --peer 192.0.2.2 --expect-fingerprint SHA256:... --password-file pw "
      "--lock-password");
  pair->callback([pair_opts, &context] { run_pair(*pair_opts, context); });

  auto local_only = std::make_shared<bool>(false);
  auto* unpair = app.add_subcommand("unpair", "break the clustered pair (both nodes)");
  unpair->add_flag("--local", *local_only,
                   "clear the pairing on this node only (when the peer is gone)");
  unpair->footer("Example:\n  lbctl unpair\n  lbctl unpair --local");
  unpair->callback([local_only, &context] { run_unpair(*local_only, context); });

  auto apply_opts = std::make_shared<apply_options>();
  auto* apply = app.add_subcommand(
      "apply", "commit a cluster.yaml on the primary and replicate it to the secondary");
  apply->add_option("-f,--file", apply_opts->file, "the new cluster.yaml")->required();
  apply->add_flag("--dry-run", apply_opts->dry_run,
                  "validate and show the changes; commit nothing (no daemon needed)");
  apply->footer(
      "Shows what changes against the committed config (as lbctl config diff), then commits it\n"
      "on the primary: generation + 1, written atomically, daemons reloaded, pushed to the\n"
      "secondary. The result names each node; it is on both when the command exits 0.\n"
      "Example:\n  lbctl apply -f cluster.yaml\n  lbctl apply -f cluster.yaml --dry-run");
  apply->callback([apply_opts, &context] { run_apply(*apply_opts, context); });

  auto* group = app.add_subcommand("replication", "config replication between the pair");
  group->require_subcommand(1);
  group->footer("Example:\n  lbctl replication status\n  lbctl replication take-over");
  auto* status = group->add_subcommand(
      "status", "peer, pinned host key, generations on both nodes, last push");
  status->footer("Example:\n  lbctl replication status\n  lbctl --json replication status");
  status->callback([&context] { run_status(context); });

  auto force = std::make_shared<bool>(false);
  auto* take_over = group->add_subcommand(
      "take-over", "on the secondary, when the primary is gone: become the config authority");
  take_over->add_flag("--force", *force,
                      "take over even though the primary still answers (its sshd or heartbeats)");
  take_over->footer(
      "Raises the config term above anything the primary used and commits the current config\n"
      "as the next generation under it; this node is the primary from then on and takes\n"
      "commits. The old primary, when it returns, sees the higher term (at its first catch-up\n"
      "or when this node refuses its push), becomes the secondary and fetches this node's\n"
      "config; what it committed while cut off is discarded, never pushed. Refused while the\n"
      "primary's sshd or heartbeats answer, unless --force.\n"
      "Example:\n  lbctl replication take-over");
  take_over->callback([force, &context] { run_take_over(*force, context); });
}

}  // namespace lbha::cli
