#include "web/certificate_files.hpp"

#include <unistd.h>

#include <system_error>

#include "common/atomic_file.hpp"
#include "common/config/values.hpp"
#include "common/self_signed.hpp"
#include "web/errc.hpp"

namespace lbha::web {

namespace {

// Ten years: a self-signed certificate is trusted by a browser exception, not
// by a CA, and an expiry in the middle of an incident helps no one. An
// operator who wants rotation installs their own.
constexpr long validity_seconds = 10L * 365 * 24 * 3600;

}  // namespace

std::string local_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

result<bool> ensure_certificate(const std::filesystem::path& certificate,
                                const std::filesystem::path& key,
                                const certificate_identity& identity) {
  std::error_code ec;
  const bool have_certificate = std::filesystem::exists(certificate, ec);
  const bool have_key = std::filesystem::exists(key, ec);
  if (have_certificate && have_key) return false;
  if (have_certificate != have_key) {
    return error(errc::certificate,
                 (have_certificate ? key : certificate).string() + " is missing but " +
                     (have_certificate ? certificate : key).string() +
                     " exists: install both, or remove both to have a self-signed pair made");
  }

  self_signed_request request{.common_name = identity.hostname,
                              .alt_names = {"DNS:" + identity.hostname},
                              .certificate_authority = false,
                              .extended_key_usage = "serverAuth",
                              .validity_seconds = validity_seconds};
  for (const auto& address : identity.addresses) {
    if (config::parse_ip(address)) request.alt_names.push_back("IP:" + address);
  }
  auto made = make_self_signed(request);
  if (!made) return error(errc::certificate, made.error().message());

  for (const auto& dir : {certificate.parent_path(), key.parent_path()}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return error(errc::certificate, "cannot create " + dir.string() + ": " + ec.message());
  }
  if (auto r = write_file_atomically(key, made.value().private_key_pem, 0600); !r)
    return error(errc::certificate, key.string() + ": " + r.error().message());
  if (auto r = write_file_atomically(certificate, made.value().certificate_pem, 0644); !r)
    return error(errc::certificate, certificate.string() + ": " + r.error().message());
  return true;
}

}  // namespace lbha::web
