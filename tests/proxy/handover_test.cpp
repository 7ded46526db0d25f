// A proxyd restart that keeps every connection (proxy/handover.hpp): one
// engine hands its listeners, sessions and persistence table to a store, the
// next one takes them over. The store here keeps copies of the descriptors in
// memory, as systemd's file descriptor store does across `systemctl restart`
// (the install test runs the real one).
#include <sys/mman.h>
#include <unistd.h>

#include "tests/proxy/engine_fixture.hpp"

namespace lbha::proxy::test_support {
namespace {

class memory_fd_store final : public fd_store {
 public:
  ~memory_fd_store() override {
    for (auto& [name, fd] : kept_) ::close(fd);
  }
  result<void> keep(const std::string& name, std::span<const int> fds) override {
    for (int fd : fds) kept_.emplace_back(name, ::dup(fd));
    return success();
  }
  void forget(const std::string& name) override {
    std::erase_if(kept_, [&](auto& k) {
      if (k.first != name) return false;
      ::close(k.second);
      return true;
    });
  }
  // What the next start inherits; the store no longer owns them. Reversed,
  // since the order is the store's own business.
  named_fds take() {
    named_fds out(kept_.rbegin(), kept_.rend());
    kept_.clear();
    return out;
  }

 private:
  named_fds kept_;
};

class handover_test : public engine_test {
 protected:
  // Stops the running engine into the store and starts the next one from it.
  engine::handover_counts restart(const v1::VirtualService& vs, std::size_t threads = 2) {
    memory_fd_store store;
    auto handed = engine_->hand_over(store);
    EXPECT_TRUE(handed) << handed.error();
    engine_.reset();
    between_restarts();
    auto received = receive_handover(store.take());
    EXPECT_TRUE(received) << received.error();
    EXPECT_TRUE(received.value().has_value());
    v1::ClusterConfig config;
    config.set_generation(2);
    *config.add_virtual_services() = vs;
    engine_ = std::make_unique<engine>(control_, clock_, engine_options{threads, 10000, ""});
    auto started = engine_->start(config, std::move(received).value());
    EXPECT_TRUE(started) << started.error();
    return handed ? handed.value() : engine::handover_counts{};
  }
  std::function<void()> between_restarts = [] {};
};

TEST_F(handover_test, open_sessions_keep_their_server_and_every_byte_through_a_restart) {
  backend a("a"), b("b");
  auto vs = service("web", {&a, &b});
  start(vs);
  std::vector<std::unique_ptr<client>> clients;
  std::vector<std::string> server_of;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<client>(port_.port()));
    server_of.push_back(clients.back()->read_line());
    ASSERT_FALSE(server_of.back().empty());
  }
  // Half of them have a request in flight while the engine stops: bytes sent
  // before, taken over by whichever process has them.
  for (int i = 0; i < 20; i += 2) clients[i]->send("before-" + std::to_string(i) + "\n");
  const auto counts = restart(vs);
  EXPECT_EQ(counts.sessions, 20u);
  EXPECT_EQ(counts.listeners, 2u);  // one per worker
  EXPECT_EQ(engine_->taken_over().sessions, 20u);
  EXPECT_EQ(engine_->taken_over().lost, 0u);
  EXPECT_EQ(engine_->taken_over().listeners, 2u);
  const auto during = engine_->status();
  EXPECT_EQ(server_status(during, "a")->current_connections() +
                server_status(during, "b")->current_connections(),
            20u);
  for (int i = 0; i < 20; ++i) {
    if (i % 2 == 0) {
      EXPECT_EQ(clients[i]->read_line(), "before-" + std::to_string(i));
    }
    clients[i]->send("after-" + std::to_string(i) + "\n");
    EXPECT_EQ(clients[i]->read_line(), "after-" + std::to_string(i));
  }
  // Still on the same real server: its goodbye comes after the half-close.
  for (int i = 0; i < 20; ++i) {
    clients[i]->shutdown_write();
    EXPECT_EQ(clients[i]->read_line(), "bye");
    EXPECT_TRUE(clients[i]->closed_by_peer());
  }
  EXPECT_TRUE(eventually([&] {
    const auto s = engine_->status();
    return s.virtual_services(0).current_connections() == 0;
  }));
  EXPECT_EQ(a.accepted() + b.accepted(), 20);  // no session was reconnected
}

TEST_F(handover_test, a_connection_made_while_no_proxyd_runs_waits_in_the_handed_listener) {
  backend a("a");
  auto vs = service("web", {&a});
  start(vs);
  std::unique_ptr<client> late;
  // Between the two engines nothing accepts: the kernel queues the
  // connection on the listening socket the store holds.
  between_restarts = [&] { late = std::make_unique<client>(port_.port()); };
  restart(vs);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->read_line(), "a");
  late->send("x\n");
  EXPECT_EQ(late->read_line(), "x");
}

TEST_F(handover_test, bulk_bytes_in_flight_arrive_whole_and_in_order) {
  backend a("a");
  auto vs = service("web", {&a});
  start(vs);
  client c(port_.port());
  ASSERT_EQ(c.read_line(), "a");
  // More than a pipe holds, sent before the restart and not yet read back:
  // parts sit in the engine's pipes and buffers when it stops.
  std::string big;
  for (int i = 0; big.size() < 300000; ++i) big += std::to_string(i) + ",";
  big += "\n";
  std::thread sender([&] { c.send(big); });
  std::this_thread::sleep_for(50ms);
  restart(vs);
  sender.join();
  EXPECT_EQ(c.read_line() + "\n", big);
}

TEST_F(handover_test, the_persistence_table_survives_the_restart) {
  backend a("a"), b("b");
  auto vs = service("web", {&a, &b});
  vs.mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
  vs.mutable_persistence()->set_timeout_s(60);
  start(vs);
  const auto first = who();
  ASSERT_FALSE(first.empty());
  const auto counts = restart(vs);
  EXPECT_GE(counts.stick_entries, 1u);
  EXPECT_GE(engine_->taken_over().stick_entries, 1u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(who(), first);
}

TEST_F(handover_test, sessions_of_a_real_server_the_new_config_lacks_are_closed_and_counted) {
  backend a("a"), b("b");
  start(service("web", {&a, &b}));
  std::vector<std::unique_ptr<client>> clients;
  int on_b = 0;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<client>(port_.port()));
    on_b += clients.back()->read_line() == "b";
  }
  ASSERT_GT(on_b, 0);
  restart(service("web", {&a}));
  EXPECT_EQ(engine_->taken_over().lost, static_cast<std::size_t>(on_b));
  EXPECT_EQ(engine_->taken_over().sessions, static_cast<std::size_t>(6 - on_b));
}

TEST(handover_state, a_start_without_a_handover_finds_none_and_a_broken_one_is_refused) {
  auto none = receive_handover({});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.value().has_value());

  // A state that is there but is no ProxyHandover: refused, saying so.
  const int memfd = ::memfd_create("garbage", MFD_CLOEXEC);
  ASSERT_GE(memfd, 0);
  ASSERT_EQ(::write(memfd, "not protobuf \xff\xff", 15), 15);
  auto broken = receive_handover({{handover_state_name, memfd}});
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find("not a ProxyHandover"), std::string::npos)
      << broken.error().message();
}

}  // namespace
}  // namespace lbha::proxy::test_support
