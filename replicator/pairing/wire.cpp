#include "replicator/pairing/wire.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <sstream>
#include <vector>

#include "replicator/pairing/pairing_state.hpp"

namespace lbha::pairing {

namespace {
constexpr const char* magic = "LBHA-RECEIVE";
constexpr const char* reply_separator = " -- ";

std::string one_line(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}
}  // namespace

std::string sha256_hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return to_hex(digest, sizeof(digest));
}

std::string encode_request(const lbha::v1::ReceiveRequest& request) {
  std::string body;
  request.SerializeToString(&body);
  return std::string(magic) + " 1 " + std::to_string(body.size()) + " " + sha256_hex(body) +
         "\n" + body;
}

result<lbha::v1::ReceiveRequest> decode_request(std::istream& in) {
  std::string header;
  if (!std::getline(in, header))
    return error(errc::bad_request, "no request received (empty input)");
  std::istringstream fields(header);
  std::string word, digest;
  int version = 0;
  std::size_t length = 0;
  if (!(fields >> word >> version >> length >> digest) || word != magic) {
    return error(errc::bad_request, "not an lbha replication request (bad header)");
  }
  if (version != 1)
    return error(errc::bad_request, "unsupported request version " + std::to_string(version));
  if (length > max_request_bytes)
    return error(errc::bad_request, "request too large: " + std::to_string(length));
  std::string body(length, '\0');
  in.read(body.data(), static_cast<std::streamsize>(length));
  auto got = static_cast<std::size_t>(in.gcount());
  if (got != length) {
    return error(errc::bad_request, "transfer incomplete: received " + std::to_string(got) +
                                        " of " + std::to_string(length) +
                                        " bytes; nothing applied");
  }
  if (sha256_hex(body) != digest)
    return error(errc::bad_request, "transfer corrupted: digest mismatch; nothing applied");
  lbha::v1::ReceiveRequest request;
  if (!request.ParseFromString(body))
    return error(errc::bad_request, "request body does not parse; nothing applied");
  return request;
}

std::string format_reply(const receive_reply& reply) {
  std::ostringstream out;
  out << (reply.ok ? "OK" : "ERROR") << " node=" << (reply.node.empty() ? "-" : reply.node)
      << " generation=" << reply.generation << " term=" << reply.term
      << " cluster=" << (reply.cluster_id.empty() ? "-" : reply.cluster_id) << reply_separator
      << one_line(reply.message);
  return out.str();
}

result<receive_reply> parse_reply(const std::string& output) {
  std::istringstream lines(output);
  std::string found;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("OK node=", 0) == 0 || line.rfind("ERROR node=", 0) == 0) found = line;
  }
  if (found.empty()) {
    return error(errc::bad_reply,
                 "no reply from the receiver on the peer" +
                     (output.empty() ? std::string() : ": " + one_line(output.substr(0, 300))));
  }
  receive_reply reply;
  auto sep = found.find(reply_separator);
  std::string head = found.substr(0, sep);
  if (sep != std::string::npos) reply.message = found.substr(sep + std::string(reply_separator).size());
  std::istringstream fields(head);
  std::string status;
  fields >> status;
  reply.ok = status == "OK";
  for (std::string field; fields >> field;) {
    auto eq = field.find('=');
    if (eq == std::string::npos) continue;
    auto key = field.substr(0, eq);
    auto value = field.substr(eq + 1);
    try {
      if (key == "node") reply.node = value == "-" ? "" : value;
      else if (key == "generation") reply.generation = std::stoull(value);
      else if (key == "term") reply.term = std::stoull(value);
      else if (key == "cluster") reply.cluster_id = value == "-" ? "" : value;
    } catch (const std::exception&) {
      return error(errc::bad_reply, "malformed reply from the peer: " + found);
    }
  }
  return reply;
}

std::string encode_config_message(const lbha::v1::ClusterConfig& config) {
  const std::string bytes = config.SerializeAsString();
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

result<lbha::v1::ClusterConfig> decode_config_message(const std::string& message) {
  if (message.empty() || message.size() % 4 != 0 || message.size() > 2 * max_request_bytes) {
    return error(errc::bad_reply, "the peer's config reply is not base64 of a config");
  }
  std::string bytes(message.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                reinterpret_cast<const unsigned char*>(message.data()),
                                static_cast<int>(message.size()));
  if (n < 0) return error(errc::bad_reply, "the peer's config reply is not base64 of a config");
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  if (message.ends_with("==")) {
    size -= 2;
  } else if (message.ends_with("=")) {
    size -= 1;
  }
  bytes.resize(size);
  lbha::v1::ClusterConfig config;
  if (!config.ParseFromString(bytes)) {
    return error(errc::bad_reply, "the peer's config reply does not parse as a config");
  }
  return config;
}

}  // namespace lbha::pairing
