// The seam between syncd and proxyd's persistence table.
//
// One implementation streams over proxyd's lbha.v1.Proxy gRPC service
// (grpc_table_port); tests use an in-memory double. Callbacks run on the
// daemon's io_context.
#pragma once

#include <functional>
#include <vector>

#include "common/packed_batch.hpp"
#include "replicator/sync/sync_node.hpp"

namespace lbha::sync {

class table_port {
 public:
  struct handlers {
    // Entries proxyd created or refreshed (including, once per connection to
    // proxyd, its whole table).
    std::function<void(std::vector<table_change>)> on_local;
    // The table streams (re)connected: proxyd may have restarted empty, so
    // syncd re-applies everything it holds.
    std::function<void()> on_connected;
  };

  virtual ~table_port() = default;
  virtual void start(handlers h) = 0;
  // Entries learnt from peers, to store in proxyd's table.
  virtual void apply(std::vector<table_change> entries) = 0;
  // The same in the packed form; by default unpacked and handed to apply().
  virtual void apply_packed(packed_changes batch) {
    std::vector<packed::record> records;
    if (packed::decode(batch.records, batch.names.size(), records)) return;
    std::vector<table_change> entries;
    entries.reserve(records.size());
    for (const auto& r : records) {
      entries.push_back({batch.names[r.table], bytes(r.key.begin(), r.key.begin() + r.key_size),
                         batch.names[r.server], r.expires_in_ms});
    }
    apply(std::move(entries));
  }
  virtual void stop() = 0;
  // Reads proxyd's whole table again (through on_local), e.g. after the set
  // of replicated tables changed.
  virtual void refresh() {}
  virtual bool connected() const = 0;
};

}  // namespace lbha::sync
