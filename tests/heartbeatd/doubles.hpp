// Test doubles for heartbeat_daemon's seams (heartbeatd/seams.hpp): a
// scheduler driven by a manual_clock, and fakes of the kernel's netlink
// address table, packet link, UDP sockets and the proxyd readiness source.
// fake_world builds a daemon_seams over them and keeps what each fake saw, so
// a test drives the whole daemon without root and without sleeping.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "heartbeatd/seams.hpp"

namespace lbha::heartbeat::fakes {

// Calls fall due as a test moves the clock; each runs with the clock at its own time.
class manual_scheduler final : public scheduler {
 public:
  explicit manual_scheduler(manual_clock& clock) : clock_(clock) {}

  timer_id call_at(clock::time_point at, callback fn) override {
    const timer_id id = ++next_id_;
    calls_.emplace(std::make_pair(at, id), std::move(fn));
    return id;
  }
  void cancel(timer_id id) override {
    std::erase_if(calls_, [id](const auto& c) { return c.first.second == id; });
  }
  void cancel_all() override { calls_.clear(); }

  // Runs every call due by now, including those they schedule for now.
  void run_due() {
    while (!calls_.empty() && calls_.begin()->first.first <= clock_.now()) {
      auto call = std::move(calls_.begin()->second);
      calls_.erase(calls_.begin());
      call();
    }
  }
  // Moves the clock forward by `d`, stopping at every due call to run it.
  void advance(clock::duration d) {
    const auto end = clock_.now() + d;
    run_due();
    while (!calls_.empty() && calls_.begin()->first.first <= end) {
      clock_.set(std::max(clock_.now(), calls_.begin()->first.first));
      run_due();
    }
    clock_.set(end);
    run_due();
  }
  std::size_t pending() const { return calls_.size(); }

 private:
  manual_clock& clock_;
  timer_id next_id_ = 0;
  std::map<std::pair<clock::time_point, timer_id>, callback> calls_;
};

// The interface's addresses, as rtnetlink would keep them.
class fake_addresses final : public address_table {
 public:
  result<void> add(const ip_address& vip) override {
    present.insert(vip);
    ++adds;
    return success();
  }
  result<void> remove(const ip_address& vip) override {
    present.erase(vip);
    ++removes;
    return success();
  }
  int ifindex() const override { return 7; }
  bool has(const std::string& a) const { return present.count(asio::ip::make_address(a)) > 0; }

  std::set<ip_address> present;
  int adds = 0, removes = 0;
};

// The VIP interface's packet sockets: what was sent, and a way to receive.
class fake_link final : public link_socket {
 public:
  explicit fake_link(link_handlers h) : handlers(std::move(h)) {}

  const mac_address& mac() const override { return mac_; }
  result<void> set_vips(const std::vector<ip_address>& v) override {
    filtered_vips = v;
    ++filter_changes;
    return success();
  }
  link_counters counters() const override { return counters_; }
  result<void> send_arp(const arp_packet& p) override {
    arp_sent.push_back(p);
    return success();
  }
  result<void> nd_ready() const override { return success(); }
  result<void> advertise(const asio::ip::address_v6& vip, std::optional<nd_nonce> nonce) override {
    advertised.emplace_back(vip, nonce);
    return success();
  }
  result<void> probe_nd(const asio::ip::address_v6& vip, const nd_nonce& nonce) override {
    nd_probes.emplace_back(vip, nonce);
    return success();
  }
  void close() override { closed = true; }

  // From another host on the LAN.
  void receive(const arp_packet& p) { handlers.on_arp(p); }
  void receive(const nd_message& m) { handlers.on_nd(m); }

  int count_arp(bool (arp_packet::*kind)() const, const std::string& ip) const {
    const auto a = asio::ip::make_address_v4(ip);
    return static_cast<int>(std::count_if(arp_sent.begin(), arp_sent.end(), [&](const auto& p) {
      return (p.*kind)() && p.target_ip == a;
    }));
  }
  int gratuitous_for(const std::string& ip) const {
    return count_arp(&arp_packet::is_announcement, ip);
  }
  int probes_for(const std::string& ip) const { return count_arp(&arp_packet::is_probe, ip); }

  link_handlers handlers;
  std::vector<ip_address> filtered_vips;  // what the real one's socket filters would pass
  int filter_changes = 0;
  link_counters counters_;
  std::vector<arp_packet> arp_sent;
  std::vector<std::pair<asio::ip::address_v6, std::optional<nd_nonce>>> advertised;
  std::vector<std::pair<asio::ip::address_v6, nd_nonce>> nd_probes;
  bool closed = false;

 private:
  mac_address mac_{0x02, 0, 0, 0, 0, 0x01};
};

// One UDP socket's life, kept by the world after the transport closes it.
struct udp_record {
  asio::ip::udp::endpoint local;
  udp_port::handler on_datagram;
  std::vector<std::pair<std::vector<std::uint8_t>, asio::ip::udp::endpoint>> sent;
  bool closed = false;
};

class fake_udp_port final : public udp_port {
 public:
  explicit fake_udp_port(std::shared_ptr<udp_record> r) : record_(std::move(r)) {}
  ~fake_udp_port() override { close(); }
  result<void> send_to(std::span<const std::uint8_t> d, const asio::ip::udp::endpoint& to) override {
    if (record_->closed) return error(std::errc::bad_file_descriptor);
    record_->sent.emplace_back(std::vector<std::uint8_t>(d.begin(), d.end()), to);
    return success();
  }
  void close() override { record_->closed = true; }

 private:
  std::shared_ptr<udp_record> record_;
};

class fake_readiness final : public readiness_source {
 public:
  explicit fake_readiness(bool ready) : ready_(ready) {}
  void start(handler h) override {
    on_change_ = std::move(h);
    on_change_(ready_);
  }
  void stop() override { on_change_ = nullptr; }
  void set(bool ready) {
    ready_ = ready;
    if (on_change_) on_change_(ready);
  }

 private:
  bool ready_;
  handler on_change_;
};

// Builds daemon_seams over the fakes and keeps a handle on each.
struct fake_world {
  manual_clock clock;
  std::shared_ptr<manual_scheduler> timers = std::make_shared<manual_scheduler>(clock);
  fake_addresses* addresses = nullptr;
  fake_link* link = nullptr;
  fake_readiness* readiness = nullptr;
  std::vector<std::shared_ptr<udp_record>> ports;  // every socket ever opened
  bool proxy_ready = true;

  daemon_seams seams() {
    daemon_seams s;
    s.timers = timers;
    s.open_addresses = [this](const std::string&) -> result<std::unique_ptr<address_table>> {
      auto a = std::make_unique<fake_addresses>();
      addresses = a.get();
      return std::unique_ptr<address_table>(std::move(a));
    };
    s.open_link = [this](int, link_handlers h) -> result<std::unique_ptr<link_socket>> {
      auto l = std::make_unique<fake_link>(std::move(h));
      link = l.get();
      return std::unique_ptr<link_socket>(std::move(l));
    };
    s.open_udp = [this](const asio::ip::udp::endpoint& local,
                        udp_port::handler h) -> result<std::unique_ptr<udp_port>> {
      auto r = std::make_shared<udp_record>();
      r->local = local;
      r->on_datagram = std::move(h);
      ports.push_back(r);
      return std::unique_ptr<udp_port>(std::make_unique<fake_udp_port>(r));
    };
    s.readiness = [this](const std::filesystem::path&) {
      auto r = std::make_unique<fake_readiness>(proxy_ready);
      readiness = r.get();
      return std::unique_ptr<readiness_source>(std::move(r));
    };
    return s;
  }

  // The open socket bound to `local` (nullptr when there is none).
  udp_record* port(const std::string& local) {
    for (auto& p : ports)
      if (!p->closed && p->local.address() == asio::ip::make_address(local)) return p.get();
    return nullptr;
  }
};

}  // namespace lbha::heartbeat::fakes
