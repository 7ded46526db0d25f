#include "tests/lab/client_probe.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "tests/lab/net.hpp"

namespace lbha::lab {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds ms(steady::duration d) { return std::chrono::duration_cast<milliseconds>(d); }

}  // namespace

std::string server_of(const std::string& body) {
  constexpr std::string_view prefix = "server ";
  if (body.compare(0, prefix.size(), prefix) != 0) return {};
  auto name = body.substr(prefix.size());
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  return name;
}

probe_outage longest_outage(const std::vector<probe_sample>& samples, steady::time_point start,
                            steady::time_point end) {
  probe_outage worst;
  // The outage in progress: since when, and its first failure.
  bool down = false;
  steady::time_point since{};
  std::string first_error;
  const auto close = [&](steady::time_point until) {
    if (!down) return;
    if (ms(until - since) > worst.length) {
      worst = {ms(until - since), ms(since - start), first_error};
    }
    down = false;
  };
  for (const auto& s : samples) {
    if (s.at < start) continue;
    if (s.ok) {
      close(s.at);
    } else if (!down) {
      down = true;
      since = s.at;
      first_error = s.error;
    }
  }
  close(end);
  return worst;
}

client_probe::client_probe(probe_options options)
    : options_(std::move(options)), start_(steady::now()) {
  thread_ = std::thread([this] { run(); });
}

client_probe::~client_probe() { stop(); }

void client_probe::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  stopped_ = steady::now();
}

void client_probe::reset() {
  std::lock_guard lock(mutex_);
  samples_.clear();
  start_ = steady::now();
}

void client_probe::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const auto at = steady::now();
    probe_sample sample;
    sample.at = at;
    try {
      const auto response =
          http_get(options_.netns, options_.ip, options_.port, "/", options_.timeout);
      sample.ok = response.ok && response.status == 200;
      if (sample.ok) {
        sample.server = server_of(response.body);
      } else {
        sample.error = response.ok ? "HTTP " + std::to_string(response.status) : response.error;
      }
    } catch (const std::exception& e) {  // the namespace is gone: the lab is going down
      sample.error = e.what();
    }
    lock.lock();
    if (at >= start_) samples_.push_back(std::move(sample));
    wake_.wait_until(lock, at + options_.interval, [this] { return stopping_; });
  }
}

std::vector<probe_sample> client_probe::samples() const {
  std::lock_guard lock(mutex_);
  return samples_;
}

int client_probe::successes() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(
      std::count_if(samples_.begin(), samples_.end(), [](const auto& s) { return s.ok; }));
}

int client_probe::failures() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(
      std::count_if(samples_.begin(), samples_.end(), [](const auto& s) { return !s.ok; }));
}

probe_outage client_probe::longest_outage() const {
  std::lock_guard lock(mutex_);
  const auto end = stopped_ != steady::time_point{} ? stopped_ : steady::now();
  return ::lbha::lab::longest_outage(samples_, start_, end);
}

std::vector<std::string> client_probe::server_sequence() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> sequence;
  for (const auto& s : samples_) {
    if (s.ok && (sequence.empty() || sequence.back() != s.server)) sequence.push_back(s.server);
  }
  return sequence;
}

std::string client_probe::sticky_violation() const {
  if (!options_.sticky) return {};
  std::lock_guard lock(mutex_);
  std::string first;
  std::map<std::string, int> counts;
  for (const auto& s : samples_) {
    if (!s.ok) continue;
    if (first.empty()) first = s.server;
    ++counts[s.server];
  }
  if (counts.size() <= 1) return {};
  std::ostringstream out;
  out << options_.name << " is sticky but was answered by " << counts.size() << " servers:";
  for (const auto& [server, n] : counts) out << " " << server << " (" << n << ")";
  for (const auto& s : samples_) {
    if (s.ok && s.server != first) {
      out << "; first " << first << ", then " << s.server << " at +" << ms(s.at - start_).count()
          << "ms";
      break;
    }
  }
  return out.str();
}

std::string client_probe::describe() const {
  const auto outage = longest_outage();
  std::ostringstream out;
  out << options_.name << " (" << options_.ip << ":" << options_.port << "): " << successes()
      << " ok, " << failures() << " failed, longest outage " << outage.length.count() << " ms";
  if (outage.length.count() > 0) {
    out << " at +" << outage.from.count() << "ms (" << outage.first_error << ")";
  }
  out << ", servers";
  const auto sequence = server_sequence();
  if (sequence.empty()) out << " none";
  constexpr std::size_t shown = 8;
  for (std::size_t i = 0; i < std::min(sequence.size(), shown); ++i) {
    out << (i ? " -> " : " ") << sequence[i];
  }
  if (sequence.size() > shown) out << " -> ... (" << sequence.size() - 1 << " changes)";
  return out.str();
}

}  // namespace lbha::lab
