#include "cli/sync_counters.hpp"

namespace lbha::cli {

std::vector<std::pair<std::string_view, std::uint64_t>> sync_refused_counts(
    const v1::SyncStatus& s) {
  return {{"refused_connections", s.refused_connections()},
          {"refused_hellos", s.refused_hellos()},
          {"refused_unauthenticated", s.refused_unauthenticated()},
          {"handshake_timeouts", s.handshake_timeouts()},
          {"connections_over_limit", s.connections_over_limit()},
          {"write_timeouts", s.write_timeouts()},
          {"session_errors", s.session_errors()},
          {"accept_errors", s.accept_errors()},
          {"refused_tables", s.refused_tables()},
          {"evicted_entries", s.evicted_entries()},
          {"capped_expiries", s.capped_expiries()},
          {"resync_requests_deferred", s.resync_requests_deferred()}};
}

}  // namespace lbha::cli
