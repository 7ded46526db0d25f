// A client that keeps asking a VIP, in the background, what a user would see.
//
// One thread per probe: every `interval` a fresh HTTP GET (lab::http_get, a
// new TCP connection, so a new source port) from the client's namespace to
// ip:port with a short timeout. Each answer's real server is read from
// lbha-lab-server's body ("server <name>"); failures keep their reason. Every
// attempt is timestamped with steady_clock when it starts.
//
// Outage: from the start of the first failed attempt after a success (or
// after the probe started) to the start of the next successful one; an outage
// still going on counts up to now (or stop()). The longest one is what a
// scenario budgets. A sticky probe (source-IP persistence) expects every
// answer from one real server, across failovers: syncd replicates the table.
//
// Thread-safe: the probe thread appends, the test thread reads, under a mutex.
// The destructor (or stop()) ends the thread within one attempt.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lbha::lab {

struct probe_options {
  std::string name{};   // for messages: "client1 -> IIS_VIP"
  std::string netns{};  // the client's namespace (lab.client(1).netns)
  std::string ip{};     // the VIP, IPv4 or IPv6
  std::uint16_t port = 80;
  std::chrono::milliseconds interval{20};
  std::chrono::milliseconds timeout{200};
  bool sticky = false;  // every answer must come from one real server
};

struct probe_sample {
  std::chrono::steady_clock::time_point at;  // when the attempt started
  bool ok = false;
  std::string server{};  // who answered ("rs1"), when ok
  std::string error{};   // why not, when not ok
};

struct probe_outage {
  std::chrono::milliseconds length{0};
  std::chrono::milliseconds from{0};  // since the probe started (or reset)
  std::string first_error{};          // the first failure's reason
};

class client_probe {
 public:
  explicit client_probe(probe_options options);  // starts probing at once
  ~client_probe();
  client_probe(const client_probe&) = delete;
  client_probe& operator=(const client_probe&) = delete;

  void stop();
  // Forgets every sample: measures from now on (e.g. once the pair is up).
  void reset();

  const probe_options& options() const { return options_; }
  std::vector<probe_sample> samples() const;
  int successes() const;
  int failures() const;
  probe_outage longest_outage() const;
  // Who answered, in order, each run of the same server once: {"rs1", "rs2", "rs1"}.
  std::vector<std::string> server_sequence() const;
  // Empty when the probe is sticky-correct (or not sticky); else what moved.
  std::string sticky_violation() const;
  // One line: "client1 -> IIS_VIP (192.0.2.100:443): 250 ok, 12 failed, longest outage
  // 480 ms at +1203ms (connect: Connection refused), servers rs1 -> rs2".
  std::string describe() const;

 private:
  void run();

  probe_options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point stopped_{};
  std::vector<probe_sample> samples_;
  std::thread thread_;
};

// "server rs1\n" -> "rs1"; empty when the body is not lbha-lab-server's.
std::string server_of(const std::string& body);

// The longest outage in `samples` (in time order) between `start` and `end`.
probe_outage longest_outage(const std::vector<probe_sample>& samples,
                            std::chrono::steady_clock::time_point start,
                            std::chrono::steady_clock::time_point end);

}  // namespace lbha::lab
