// The WebUI's TLS server context: TLS 1.2 and 1.3 only, forward-secret AEAD
// ciphers for 1.2 (1.3's are all fine), no renegotiation, no compression,
// the certificate chain and key from the files (certificate_files.hpp).
#pragma once

#include <filesystem>
#include <memory>

#include "common/asio_ssl.hpp"
#include "common/result.hpp"

namespace lbha::web {

// errc::certificate naming the file that does not load or a key that is not
// the certificate's.
result<std::shared_ptr<asio::ssl::context>> make_server_tls(
    const std::filesystem::path& certificate, const std::filesystem::path& key);

}  // namespace lbha::web
