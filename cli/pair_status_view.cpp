#include "cli/pair_status_view.hpp"

#include <ctime>
#include <map>
#include <sstream>
#include <string_view>

#include "cli/sync_counters.hpp"

namespace lbha::cli {

namespace {

std::string when(std::int64_t unix_ms) {
  if (unix_ms == 0) return "never";
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

std::string render_replication_text(const v1::ReplicationStatus& status) {
  std::ostringstream out;
  out << "node:              " << status.local_node() << "\n";
  if (!status.paired()) {
    out << "paired:            no\n";
    out << "local generation:  " << status.local_generation() << "\n";
    return out.str();
  }
  out << "role:              " << status.role() << "\n"
      << "cluster id:        " << status.cluster_id() << "\n"
      << "peer:              " << status.peer_node() << " (" << status.peer_address() << ")\n";
  if (!status.peer_fingerprint().empty()) {
    out << "peer host key:     " << status.peer_fingerprint() << "\n";
  }
  if (!status.certificate_fingerprint().empty()) {
    out << "pair certificate:  " << status.certificate_fingerprint() << "\n";
  }
  out << "local generation:  " << status.local_generation() << " (term " << status.local_term()
      << ")\n";
  if (status.role() == "primary") {
    out << "peer generation:   "
        << (status.peer_generation() ? std::to_string(status.peer_generation()) : "unknown")
        << (status.peer_reachable() ? "" : " (peer unreachable at last contact)") << "\n"
        << "last push:         " << when(status.last_push_unix_ms());
    if (status.last_push_unix_ms() != 0) {
      out << ", " << (status.last_push_ok() ? "ok" : "FAILED") << ": "
          << status.last_push_message();
    }
    out << "\n";
  }
  return out.str();
}

std::string render_sync_text(const v1::SyncStatus& s) {
  std::ostringstream out;
  out << "paired:          " << (s.paired() ? "yes (pair.pem: mutual TLS)" : "no") << "\n";
  out << "proxyd:          " << (s.proxy_connected() ? "connected" : "not connected") << "\n";
  for (const auto& peer : s.peers()) {
    out << "peer:            " << (peer.name().empty() ? "?" : peer.name()) << " " << peer.address()
        << " " << (peer.connected() ? "connected" : "not connected") << ", updates sent "
        << peer.updates_sent() << ", received " << peer.updates_received() << "\n";
  }
  for (const auto& table : s.tables()) {
    out << "table:           " << table.name() << ", " << table.entries() << " entries\n";
  }
  out << "resync pending:  " << (s.resync_pending() ? "yes" : "no") << "\n";
  // The defences' counters, one line, zeros left out.
  const auto counts = sync_refused_counts(s);
  const std::map<std::string_view, std::uint64_t> refused(counts.begin(), counts.end());
  out << "refused:        ";
  bool any = false;
  for (const auto& [what, count] : refused) {
    if (count == 0) continue;
    out << (any ? ", " : " ") << what << " " << count;
    any = true;
  }
  out << (any ? "" : " none") << "\n";
  out << "bytes:           sent " << s.bytes_sent() << ", received " << s.bytes_received() << "\n";
  return out.str();
}

}  // namespace lbha::cli
