#include "replicator/pairing/ssh_client.hpp"

#include <memory>
#include <poll.h>

#include <libssh/libssh.h>

#include "common/atomic_file.hpp"

namespace lbha::pairing {

namespace {

struct session_deleter {
  void operator()(ssh_session s) const {
    ssh_disconnect(s);
    ssh_free(s);
  }
};
struct channel_deleter {
  void operator()(ssh_channel c) const {
    ssh_channel_close(c);
    ssh_channel_free(c);
  }
};
struct key_deleter {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
using session_ptr = std::unique_ptr<std::remove_pointer_t<ssh_session>, session_deleter>;
using channel_ptr = std::unique_ptr<std::remove_pointer_t<ssh_channel>, channel_deleter>;
using key_ptr = std::unique_ptr<std::remove_pointer_t<ssh_key>, key_deleter>;

error make_error(errc kind, std::string message) { return error(kind, std::move(message)); }

std::string fingerprint_of(ssh_session session, std::string* key_type = nullptr) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(session, &raw) != SSH_OK) return "";
  key_ptr key(raw);
  if (key_type != nullptr) {
    const char* type = ssh_key_type_to_char(ssh_key_type(key.get()));
    *key_type = type ? type : "unknown";
  }
  unsigned char* hash = nullptr;
  size_t hash_len = 0;
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) != 0) {
    return "";
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
  ssh_clean_pubkey_hash(&hash);
  std::string out = text ? text : "";
  ssh_string_free_char(text);
  return out;
}

// Password, falling back to keyboard-interactive that asks for the password
// (sshd's PAM setups offer only the latter).
int password_login(ssh_session session, const std::string& password) {
  int methods = ssh_userauth_list(session, nullptr);
  int rc = SSH_AUTH_DENIED;
  if (methods & SSH_AUTH_METHOD_PASSWORD) {
    rc = ssh_userauth_password(session, nullptr, password.c_str());
    if (rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_ERROR) return rc;
  }
  if (methods & SSH_AUTH_METHOD_INTERACTIVE) {
    rc = ssh_userauth_kbdint(session, nullptr, nullptr);
    while (rc == SSH_AUTH_INFO) {
      int prompts = ssh_userauth_kbdint_getnprompts(session);
      for (int i = 0; i < prompts; ++i) {
        if (ssh_userauth_kbdint_setanswer(session, i, password.c_str()) < 0) {
          return SSH_AUTH_ERROR;
        }
      }
      rc = ssh_userauth_kbdint(session, nullptr, nullptr);
    }
  }
  return rc;
}

std::string where_of(const ssh_target& target) {
  return target.user + "@" + target.host + ":" + std::to_string(target.port);
}

// A session for `target` with our options, not yet connected.
result<session_ptr> new_session(const ssh_target& target, std::chrono::seconds timeout_s) {
  session_ptr session(ssh_new());
  if (!session) return make_error(errc::exec_failed, "libssh: cannot create a session");
  long timeout = static_cast<long>(timeout_s.count());
  int verbosity = SSH_LOG_NOLOG;
  unsigned int port = target.port;
  bool process_config = false;  // ~/.ssh/config must not redirect the pair's traffic
  ssh_options_set(session.get(), SSH_OPTIONS_HOST, target.host.c_str());
  ssh_options_set(session.get(), SSH_OPTIONS_PORT, &port);
  ssh_options_set(session.get(), SSH_OPTIONS_USER, target.user.c_str());
  ssh_options_set(session.get(), SSH_OPTIONS_TIMEOUT, &timeout);
  ssh_options_set(session.get(), SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
  ssh_options_set(session.get(), SSH_OPTIONS_PROCESS_CONFIG, &process_config);
  // We pin host keys ourselves (state dir), not in ~/.ssh/known_hosts.
  ssh_options_set(session.get(), SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
  ssh_options_set(session.get(), SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  return session;
}

}  // namespace

result<host_key_info> libssh_client::host_key(const ssh_target& target) {
  const std::string where = where_of(target);
  auto made = new_session(target, timeout_);
  if (!made) return made.error();
  session_ptr session = std::move(made).value();
  if (ssh_connect(session.get()) != SSH_OK) {
    return make_error(errc::unreachable,
                      "cannot reach " + where + ": " + ssh_get_error(session.get()));
  }
  host_key_info info;
  info.fingerprint = fingerprint_of(session.get(), &info.key_type);
  if (info.fingerprint.empty()) {
    return make_error(errc::exec_failed, "cannot read the host key of " + where);
  }
  return info;  // the session's deleter disconnects: no authentication was attempted
}

result<exec_result> libssh_client::exec(const ssh_target& target,
                                        const ssh_credentials& credentials,
                                        const std::optional<std::string>& pinned,
                                        const std::string& command, const std::string& input) {
  const std::string where = where_of(target);
  auto made = new_session(target, timeout_);
  if (!made) return made.error();
  session_ptr session = std::move(made).value();

  using clock = std::chrono::steady_clock;
  auto since = [](clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t);
  };
  auto phase = clock::now();
  if (ssh_connect(session.get()) != SSH_OK) {
    return make_error(errc::unreachable,
                      "cannot reach " + where + ": " + ssh_get_error(session.get()));
  }
  std::string fingerprint = fingerprint_of(session.get());
  if (fingerprint.empty()) {
    return make_error(errc::exec_failed, "cannot read the host key of " + where);
  }
  if (pinned && *pinned != fingerprint) {
    return make_error(errc::host_key_mismatch, "the host key of " + where + " is " + fingerprint +
                                                   ", not the expected " + *pinned +
                                                   "; nothing was sent (possible impersonation)");
  }

  const auto connect_time = since(phase);
  phase = clock::now();
  int rc;
  if (credentials.password) {
    ssh_userauth_none(session.get(), nullptr);  // needed before ssh_userauth_list
    rc = password_login(session.get(), *credentials.password);
  } else {
    ssh_key raw = nullptr;
    if (ssh_pki_import_privkey_file(credentials.private_key.c_str(), nullptr, nullptr, nullptr,
                                    &raw) != SSH_OK) {
      return make_error(errc::auth_failed,
                        "cannot load this node's key " + credentials.private_key.string());
    }
    key_ptr key(raw);
    rc = ssh_userauth_publickey(session.get(), nullptr, key.get());
  }
  if (rc != SSH_AUTH_SUCCESS) {
    return make_error(errc::auth_failed, credentials.password
                                             ? "login to " + where +
                                                   " refused: wrong password (or password login "
                                                   "disabled in the peer's sshd)"
                                             : "login to " + where +
                                                   " with this node's key refused: the peer "
                                                   "no longer trusts it (was it unpaired?)");
  }

  const auto auth_time = since(phase);
  phase = clock::now();
  channel_ptr channel(ssh_channel_new(session.get()));
  if (!channel || ssh_channel_open_session(channel.get()) != SSH_OK ||
      ssh_channel_request_exec(channel.get(), command.c_str()) != SSH_OK) {
    return make_error(errc::exec_failed,
                      "cannot run the receiver on " + where + ": " + ssh_get_error(session.get()));
  }
  std::size_t sent = 0;
  while (sent < input.size()) {
    auto chunk = static_cast<uint32_t>(std::min<std::size_t>(input.size() - sent, 32768));
    int n = ssh_channel_write(channel.get(), input.data() + sent, chunk);
    if (n < 0) {
      return make_error(errc::exec_failed,
                        "sending to " + where + " failed: " + ssh_get_error(session.get()));
    }
    sent += static_cast<std::size_t>(n);
  }
  ssh_channel_send_eof(channel.get());

  exec_result result;
  result.fingerprint = fingerprint;
  char buf[4096];
  const int read_timeout_ms = static_cast<int>(timeout_.count() * 1000) * 3;
  for (int is_stderr : {0, 1}) {
    for (;;) {
      int n = ssh_channel_read_timeout(channel.get(), buf, sizeof(buf), is_stderr,
                                       read_timeout_ms);
      if (n == SSH_AGAIN) continue;
      if (n < 0) {
        return make_error(errc::exec_failed,
                          "reading from " + where + " failed: " + ssh_get_error(session.get()));
      }
      if (n == 0) {
        if (ssh_channel_is_eof(channel.get()) || !ssh_channel_is_open(channel.get())) break;
        return make_error(errc::exec_failed, "no answer from the receiver on " + where);
      }
      (is_stderr ? result.err : result.out).append(buf, static_cast<std::size_t>(n));
    }
  }
  result.exit_status = ssh_channel_get_exit_status(channel.get());
  result.connect_time = connect_time;
  result.auth_time = auth_time;
  result.command_time = since(phase);
  return result;
}

result<std::string> ensure_node_key(const std::filesystem::path& path) {
  ssh_key raw = nullptr;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK) {
      return error(errc::node_key,
                   "cannot load " + path.string() + " (remove it to generate a new key)");
    }
  } else {
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK) {
      return error(errc::node_key, "cannot generate an ed25519 key");
    }
    key_ptr generated(raw);
    char* b64 = nullptr;
    if (ssh_pki_export_privkey_base64(generated.get(), nullptr, nullptr, nullptr, &b64) !=
        SSH_OK) {
      return error(errc::node_key, "cannot export the generated key");
    }
    std::string pem(b64);
    ssh_string_free_char(b64);
    std::filesystem::create_directories(path.parent_path(), ec);
    if (auto written = write_file_atomically(path, pem, 0600); !written) {
      return error(errc::node_key,
                   "cannot write " + path.string() + ": " + written.error().message());
    }
    raw = generated.release();
  }
  key_ptr key(raw);
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key.get(), &b64) != SSH_OK) {
    return error(errc::node_key, "cannot export the public key of " + path.string());
  }
  std::string pub = std::string(ssh_key_type_to_char(ssh_key_type(key.get()))) + " " + b64;
  ssh_string_free_char(b64);
  if (pub.rfind("ssh-ed25519 ", 0) != 0)
    return error(errc::node_key, path.string() + " is not an ed25519 key");
  return pub;
}

}  // namespace lbha::pairing
