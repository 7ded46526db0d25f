// connection_history: each virtual service's current connections over the
// last hour, as the System Overview's small graph per service shows them.
//
// lbha-webd reads the node every 2 s (webd.hpp); every read is offered here,
// and one sample per service is kept every `sample_every` (30 s: 120 points
// an hour), so the graph costs the same whoever looks and however often. A
// service gone from proxyd's status loses its series. The history is kept
// in memory (a restart starts it again). Pure: time is passed in. Not
// thread-safe: lbha-webd uses it on its io thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "lbha/v1/proxy.pb.h"

namespace lbha::web {

class connection_history {
 public:
  static constexpr std::chrono::seconds sample_every{30};
  static constexpr std::chrono::seconds keep{3600};

  struct sample {
    clock::time_point at;
    std::uint64_t connections = 0;
  };
  using series = std::deque<sample>;

  // Takes a sample of every service when the last was `sample_every` ago or more.
  void record(clock::time_point now, const v1::ProxyStatus& status);
  // The service's samples, oldest first; nullptr when there are none.
  const series* of(std::string_view label) const;

 private:
  std::map<std::string, series, std::less<>> series_;
  std::optional<clock::time_point> last_;
};

// The series as a small inline SVG line (120 x 24, the hour left to right,
// 0 at the bottom, the hour's highest count at the top), with a <title>
// giving the latest and the highest count. An empty series draws nothing.
std::string render_connections_graph(const connection_history::series& samples,
                                     clock::time_point now);

}  // namespace lbha::web
