#include "web/connection_history.hpp"

#include <algorithm>
#include <cstdio>

namespace lbha::web {

namespace {

constexpr double width = 120;
constexpr double height = 24;

std::string fixed1(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

}  // namespace

void connection_history::record(clock::time_point now, const v1::ProxyStatus& status) {
  if (last_ && now - *last_ < sample_every) return;
  last_ = now;
  std::map<std::string, series, std::less<>> kept;
  for (const auto& service : status.virtual_services()) {
    auto& samples = kept[service.label()];
    if (auto it = series_.find(service.label()); it != series_.end()) {
      samples = std::move(it->second);
    }
    samples.push_back({now, service.current_connections()});
    while (!samples.empty() && now - samples.front().at > keep) samples.pop_front();
  }
  series_ = std::move(kept);
}

const connection_history::series* connection_history::of(std::string_view label) const {
  auto it = series_.find(label);
  return it == series_.end() || it->second.empty() ? nullptr : &it->second;
}

std::string render_connections_graph(const connection_history::series& samples,
                                     clock::time_point now) {
  if (samples.empty()) return "";
  std::uint64_t highest = 0;
  for (const auto& s : samples) highest = std::max(highest, s.connections);
  const double scale = highest == 0 ? 0 : (height - 2) / static_cast<double>(highest);
  const double hour = std::chrono::duration<double>(connection_history::keep).count();
  std::string points;
  for (const auto& s : samples) {
    const double age = std::chrono::duration<double>(now - s.at).count();
    const double x = std::clamp(width * (1 - age / hour), 0.0, width);
    const double y = height - 1 - scale * static_cast<double>(s.connections);
    if (!points.empty()) points += ' ';
    points += fixed1(x) + "," + fixed1(y);
  }
  return "<svg class=\"graph\" viewBox=\"0 0 120 24\" width=\"120\" height=\"24\" role=\"img\">"
         "<title>connections, last hour: now " +
         std::to_string(samples.back().connections) + ", highest " + std::to_string(highest) +
         "</title><polyline points=\"" + points + "\"/></svg>";
}

}  // namespace lbha::web
