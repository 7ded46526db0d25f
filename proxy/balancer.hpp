// Choosing a real server for a new client: leastconn, weighted round robin or
// source hash. Pure: the caller says, per server, its weight, whether it may
// take new clients and how many connections it has; the balancer says which.
//
// Concurrency: pick() is safe from several threads at once. The only mutable
// state is a relaxed atomic counter (round-robin position and leastconn
// tie-break rotation); a race on it costs at most a slightly uneven turn.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace lbha::proxy {

enum class balance_policy { leastconn, roundrobin, source };

struct server_view {
  std::uint32_t weight = 0;
  bool available = false;  // up, online and weight > 0
  std::uint64_t active = 0;
};

class balancer {
 public:
  // `weights[i]` are the configured weights; `seeds[i]` a stable per-server
  // hash (of its label) so source hashing survives reordering and reloads.
  balancer(balance_policy policy, std::vector<std::uint32_t> weights,
           std::vector<std::uint64_t> seeds);

  balance_policy policy() const { return policy_; }

  // The chosen server index, or nullopt when none is available.
  // `view(i)` returns the server_view of server i; `client_hash` feeds source hashing.
  template <typename View>
  std::optional<std::size_t> pick(std::size_t count, View&& view, std::uint64_t client_hash);

  // The smooth weighted round-robin order (nginx's algorithm) for `weights`:
  // each server appears weight/g times (g = gcd of the non-zero weights),
  // interleaved as evenly as possible. Public for tests.
  static std::vector<std::uint16_t> schedule(const std::vector<std::uint32_t>& weights);

  // Rendezvous score of server `seed` with weight `weight` for `client_hash`.
  static double source_score(std::uint64_t client_hash, std::uint64_t seed, std::uint32_t weight);

 private:
  balance_policy policy_;
  std::vector<std::uint32_t> weights_;
  std::vector<std::uint64_t> seeds_;
  std::vector<std::uint16_t> schedule_;
  std::atomic<std::uint64_t> counter_{0};
};

template <typename View>
std::optional<std::size_t> balancer::pick(std::size_t count, View&& view,
                                          std::uint64_t client_hash) {
  if (count == 0) return std::nullopt;
  switch (policy_) {
    case balance_policy::roundrobin: {
      if (schedule_.empty()) return std::nullopt;
      const std::size_t n = schedule_.size();
      const std::size_t start = counter_.fetch_add(1, std::memory_order_relaxed) % n;
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = schedule_[(start + k) % n];
        if (i < count && view(i).available) return i;
      }
      return std::nullopt;
    }
    case balance_policy::source: {
      std::optional<std::size_t> best;
      double best_score = -1;
      for (std::size_t i = 0; i < count; ++i) {
        const server_view v = view(i);
        if (!v.available) continue;
        const double s = source_score(client_hash, i < seeds_.size() ? seeds_[i] : i, v.weight);
        if (s > best_score) {
          best_score = s;
          best = i;
        }
      }
      return best;
    }
    case balance_policy::leastconn:
    default: {
      // Least (active + 1) / weight, compared by cross-multiplying; ties go
      // round the servers from a rotating start so idle servers share the load.
      const std::size_t start = counter_.fetch_add(1, std::memory_order_relaxed) % count;
      std::optional<std::size_t> best;
      std::uint64_t best_load = 0, best_weight = 1;
      for (std::size_t k = 0; k < count; ++k) {
        const std::size_t i = (start + k) % count;
        const server_view v = view(i);
        if (!v.available) continue;
        const std::uint64_t load = v.active + 1;
        if (!best || load * best_weight < best_load * v.weight) {
          best = i;
          best_load = load;
          best_weight = v.weight;
        }
      }
      return best;
    }
  }
}

}  // namespace lbha::proxy
