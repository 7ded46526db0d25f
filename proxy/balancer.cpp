#include "proxy/balancer.hpp"

#include <numeric>

#include "proxy/address.hpp"

namespace lbha::proxy {

balancer::balancer(balance_policy policy, std::vector<std::uint32_t> weights,
                   std::vector<std::uint64_t> seeds)
    : policy_(policy),
      weights_(std::move(weights)),
      seeds_(std::move(seeds)),
      schedule_(schedule(weights_)) {}

std::vector<std::uint16_t> balancer::schedule(const std::vector<std::uint32_t>& weights) {
  std::uint32_t g = 0;
  for (auto w : weights) g = std::gcd(g, w);
  std::vector<std::uint16_t> out;
  if (g == 0) return out;
  std::vector<std::int64_t> reduced(weights.size()), current(weights.size(), 0);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    reduced[i] = weights[i] / g;
    total += reduced[i];
  }
  out.reserve(static_cast<std::size_t>(total));
  for (std::int64_t step = 0; step < total; ++step) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      current[i] += reduced[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    out.push_back(static_cast<std::uint16_t>(best));
  }
  return out;
}

double balancer::source_score(std::uint64_t client_hash, std::uint64_t seed,
                              std::uint32_t weight) {
  // Weighted rendezvous hashing: each server draws u in (0,1) from the pair
  // (client, server); the highest weight / -ln(u) wins. A server going down
  // moves only its own clients, and shares follow the weights.
  const std::uint64_t h = client_key::mix(client_hash ^ client_key::mix(seed + 0x9e3779b97f4a7c15ull));
  const double u = (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0;  // 2^53
  return static_cast<double>(weight) / -std::log(u);
}

}  // namespace lbha::proxy
