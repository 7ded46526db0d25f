// The shared daemon lifecycle with a recording component and supervisor:
// start order, READY, reload by SIGHUP and by a gRPC-style call, a refused
// reload keeping the running config, the log level from node.yaml, LIFO stop
// while a gRPC handler waits on the io thread, and sd_notify's datagrams.
#include "common/daemon_runtime.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <mutex>
#include <sstream>

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "lbha/v1/sync.grpc.pb.h"
#include "tests/support/scratch_dir.hpp"

namespace lbha {
namespace {

using namespace std::chrono_literals;

// What happened, in order, across the component and the supervisor.
struct journal {
  std::mutex mutex;
  std::vector<std::string> events;

  void add(std::string e) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(e));
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mutex);
    return events;
  }
  bool has(const std::string& e) {
    auto v = all();
    return std::find(v.begin(), v.end(), e) != v.end();
  }
};

class recording_supervisor final : public supervisor {
 public:
  explicit recording_supervisor(journal& j) : j_(j) {}
  void ready(std::string_view status) override { j_.add("READY " + std::string(status)); }
  void reloading() override { j_.add("RELOADING"); }
  void stopping() override { j_.add("STOPPING"); }
  void watchdog() override { ++watchdogs; }
  std::chrono::microseconds watchdog_interval() const override { return interval; }

  std::chrono::microseconds interval{0};
  std::atomic<int> watchdogs{0};

 private:
  journal& j_;
};

// GetStatus answers from the io thread, as every daemon's handlers do.
class io_service final : public lbha::v1::Sync::Service {
 public:
  io_service(asio::io_context& io, journal& j) : io_(io), j_(j) {}
  grpc::Status GetStatus(grpc::ServerContext*, const lbha::v1::SyncStatusRequest*,
                         lbha::v1::SyncStatus* reply) override {
    auto name = run_on(io_, [this] { return std::string("from-io"); });
    reply->add_peers()->set_name(name);
    j_.add("handled");
    return grpc::Status::OK;
  }

 private:
  asio::io_context& io_;
  journal& j_;
};

class recording_component final : public daemon_component {
 public:
  recording_component(daemon_environment& env, journal& j)
      : j_(j), clock_(env.clock), service_(env.io, j), generation_(env.files.cluster.generation()) {}

  result<void> start() override {
    j_.add("start generation " + std::to_string(generation_));
    return success();
  }
  std::vector<grpc::Service*> services() override { return {&service_}; }
  result<void> reload(const node_files& files) override {
    if (files.cluster.generation() == 99) return error(std::errc::invalid_argument, "refuse 99");
    generation_ = files.cluster.generation();
    j_.add("reload generation " + std::to_string(generation_));
    return success();
  }
  void serving() override { j_.add("serving"); }
  void stop_streams() override { j_.add("stop_streams"); }
  void stop() override { j_.add("stop"); }
  std::string summary() const override { return "generation " + std::to_string(generation_); }
  bool alive() override {
    ++alive_calls;
    return is_alive;
  }

  std::atomic<bool> is_alive{true};
  std::atomic<int> alive_calls{0};

  const lbha::clock& clock() const { return clock_; }

 private:
  journal& j_;
  const lbha::clock& clock_;
  io_service service_;
  std::uint64_t generation_;
};

class daemon_runtime_test : public ::testing::Test {
 protected:
  void SetUp() override {
    write_node("warn");
    write_cluster(1);
    options_.node_config = dir_ / "node.yaml";
  }
  void TearDown() override { set_log_level(spdlog::level::info); }

  void write_node(const std::string& level) {
    test_support::write_test_node_yaml(dir_, "log_level: " + level + "\n");
  }
  void write_cluster(int generation) {
    std::ofstream(dir_ / "etc" / "cluster.yaml") << "generation: " << generation << "\n";
  }

  // The daemon's own validation refuses generation 77 (as heartbeatd's
  // refuses an unreadable heartbeat key); the component refuses 99.
  daemon_spec spec() {
    return {.name = "testd",
            .description = "test daemon",
            .add_options = {},
            .make = [this](daemon_environment& env) -> result<std::unique_ptr<daemon_component>> {
              auto c = std::make_unique<recording_component>(env, journal_);
              component_ = c.get();
              return c;
            },
            .validate = [](const node_files& files) -> result<void> {
              if (files.cluster.generation() == 77)
                return error(std::errc::invalid_argument, "the daemon's own check refuses 77");
              return success();
            }};
  }

  test_support::scratch_dir scratch_{"runtime"};
  const std::filesystem::path dir_ = scratch_.path();
  daemon_options options_;
  journal journal_;
  recording_supervisor supervisor_{journal_};
  manual_clock clock_;
  recording_component* component_ = nullptr;
};

TEST_F(daemon_runtime_test, starts_serves_reloads_and_stops_in_order) {
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  ASSERT_TRUE(runtime.start());
  EXPECT_EQ(&component_->clock(), &clock_) << "the injected clock reaches the component";
  EXPECT_EQ(spdlog::get_level(), spdlog::level::warn) << "node.yaml's log_level is applied";
  auto ran = std::async(std::launch::async, [&] { runtime.run(); });

  auto stub = lbha::v1::Sync::NewStub(unix_channel(socket_path(dir_ / "run", "testd")));
  lbha::v1::SyncStatus reply;
  {
    auto ctx = context_with_deadline(5s);
    ASSERT_TRUE(stub->GetStatus(ctx.get(), {}, &reply).ok());
  }
  EXPECT_EQ(reply.peers(0).name(), "from-io");
  EXPECT_TRUE(journal_.has("READY generation 1"));

  // SIGHUP re-reads the files: the new generation and the new log level.
  write_cluster(2);
  write_node("debug");
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  for (int i = 0; i < 500 && !journal_.has("reload generation 2"); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(journal_.has("reload generation 2"));
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);

  // A Reload that carries a config; one the component refuses leaves generation 2 in force.
  auto reload = runtime.reloader();
  lbha::v1::ClusterConfig three;
  three.set_generation(3);
  EXPECT_TRUE(reload(&three));
  EXPECT_EQ(runtime.files().cluster.generation(), 3u);
  lbha::v1::ClusterConfig refused;
  refused.set_generation(99);
  auto r = reload(&refused);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "refuse 99");
  EXPECT_EQ(runtime.files().cluster.generation(), 3u);
  EXPECT_EQ(journal_.all().back(),
            "READY reload refused, the running configuration stays: refuse 99")
      << "systemctl status says why";
  lbha::v1::ClusterConfig invalid;
  invalid.add_virtual_services()->set_label("no address");
  EXPECT_FALSE(reload(&invalid)) << "a carried config is validated again";
  lbha::v1::ClusterConfig own_check;
  own_check.set_generation(77);
  r = reload(&own_check);
  ASSERT_FALSE(r) << "the daemon's own check (what --check runs) refuses a reload too";
  EXPECT_EQ(r.error().message(), "the daemon's own check refuses 77");
  EXPECT_FALSE(journal_.has("reload generation 77")) << "before the component sees it";
  EXPECT_EQ(runtime.files().cluster.generation(), 3u);

  runtime.request_stop();
  ASSERT_EQ(ran.wait_for(5s), std::future_status::ready);
  const auto events = journal_.all();
  auto at = [&](const std::string& e) {
    return std::find(events.begin(), events.end(), e) - events.begin();
  };
  EXPECT_LT(at("start generation 1"), at("serving"));
  EXPECT_LT(at("serving"), at("READY generation 1"));
  EXPECT_LT(at("RELOADING"), at("reload generation 2"));
  EXPECT_LT(at("STOPPING"), at("stop_streams"));
  EXPECT_LT(at("stop_streams"), at("stop"));
  EXPECT_EQ(events.back(), "stop");
  EXPECT_FALSE(std::filesystem::exists(socket_path(dir_ / "run", "testd")) &&
               stub->GetStatus(context_with_deadline(200ms).get(), {}, &reply).ok())
      << "no longer served";
}

TEST_F(daemon_runtime_test, a_bad_node_yaml_is_refused_with_its_file_and_key) {
  std::ofstream(dir_ / "node.yaml") << "node_name: lb1\ninterface: lo\npriority: 900\n";
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  auto r = runtime.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("node.yaml"), std::string::npos) << r.error();
  EXPECT_NE(r.error().message().find("priority"), std::string::npos) << r.error();
  EXPECT_EQ(component_, nullptr) << "nothing was built";
}

TEST_F(daemon_runtime_test, a_group_writable_node_yaml_is_refused_at_start_and_on_reload) {
  ::chmod((dir_ / "node.yaml").c_str(), 0664);
  {
    daemon_runtime runtime(spec(), options_, clock_, supervisor_);
    auto r = runtime.start();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("chmod go-w " + (dir_ / "node.yaml").string()),
              std::string::npos)
        << r.error();
    EXPECT_EQ(component_, nullptr) << "nothing was built";
  }
  ::chmod((dir_ / "node.yaml").c_str(), 0644);
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  ASSERT_TRUE(runtime.start());
  ::chmod((dir_ / "node.yaml").c_str(), 0646);
  write_cluster(2);
  auto reload = runtime.reloader();
  auto ran = std::async(std::launch::async, [&] { runtime.run(); });
  auto r = reload(nullptr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("group- or world-writable"), std::string::npos) << r.error();
  EXPECT_EQ(runtime.files().cluster.generation(), 1u) << "the running config stays";
  runtime.request_stop();
  ASSERT_EQ(ran.wait_for(5s), std::future_status::ready);
}

TEST_F(daemon_runtime_test, stale_temp_files_are_removed_at_start) {
  std::filesystem::create_directories(dir_ / "state");
  std::ofstream(dir_ / "etc" / ".cluster.yaml.tmp.0123456789abcdef") << "torn";
  std::ofstream(dir_ / "state" / ".term.tmp.0123456789abcdef") << "torn";
  std::ofstream(dir_ / ".node.yaml.tmp.0123456789abcdef") << "torn";
  for (const auto& p : {dir_ / "etc" / ".cluster.yaml.tmp.0123456789abcdef",
                        dir_ / "state" / ".term.tmp.0123456789abcdef",
                        dir_ / ".node.yaml.tmp.0123456789abcdef"})
    std::filesystem::last_write_time(p, std::filesystem::file_time_type::clock::now() - 2min);
  std::ofstream(dir_ / "etc" / ".cluster.yaml.tmp.fedcba9876543210") << "being written";
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  ASSERT_TRUE(runtime.start());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "etc" / ".cluster.yaml.tmp.0123456789abcdef"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state" / ".term.tmp.0123456789abcdef"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".node.yaml.tmp.0123456789abcdef"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "etc" / ".cluster.yaml.tmp.fedcba9876543210"))
      << "a temp younger than a minute may be a write in progress";
  runtime.request_stop();
  runtime.run();
}

TEST_F(daemon_runtime_test, no_cluster_yaml_yet_starts_with_an_empty_one) {
  std::filesystem::remove(dir_ / "etc" / "cluster.yaml");
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  ASSERT_TRUE(runtime.start());
  EXPECT_TRUE(journal_.has("start generation 0"));
  EXPECT_EQ(runtime.files().cluster.virtual_services_size(), 0);
  runtime.request_stop();
  runtime.run();
  EXPECT_EQ(journal_.all().back(), "stop");
}

TEST_F(daemon_runtime_test, pings_the_watchdog_from_the_io_thread) {
  supervisor_.interval = 20ms;
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  ASSERT_TRUE(runtime.start());
  auto ran = std::async(std::launch::async, [&] { runtime.run(); });
  for (int i = 0; i < 500 && supervisor_.watchdogs < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(supervisor_.watchdogs, 3);
  runtime.request_stop();
  ASSERT_EQ(ran.wait_for(5s), std::future_status::ready);
}

TEST_F(daemon_runtime_test, a_broken_file_on_reload_tells_the_supervisor_why_on_one_line) {
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  ASSERT_TRUE(runtime.start());
  std::ofstream(dir_ / "etc" / "cluster.yaml") << "generation: 2\nbogus: 1\nalso_bogus: 2\n";
  auto reload = runtime.reloader();
  auto ran = std::async(std::launch::async, [&] { runtime.run(); });
  ASSERT_FALSE(reload(nullptr));
  const auto events = journal_.all();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2], "RELOADING");
  const auto& status = events.back();
  EXPECT_EQ(status.rfind("READY reload refused, the running configuration stays: ", 0), 0u)
      << status;
  EXPECT_NE(status.find("cluster.yaml:2: bogus"), std::string::npos) << status;
  EXPECT_NE(status.find("cluster.yaml:3: also_bogus"), std::string::npos) << status;
  EXPECT_EQ(status.find('\n'), std::string::npos) << "one STATUS= line";
  EXPECT_EQ(runtime.files().cluster.generation(), 1u);
  runtime.request_stop();
  ASSERT_EQ(ran.wait_for(5s), std::future_status::ready);
}

TEST_F(daemon_runtime_test, no_watchdog_ping_while_the_component_is_not_alive) {
  supervisor_.interval = 20ms;
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  ASSERT_TRUE(runtime.start());
  auto ran = std::async(std::launch::async, [&] { runtime.run(); });
  auto wait_for = [](auto done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(5ms);
    return done();
  };
  ASSERT_TRUE(wait_for([&] { return supervisor_.watchdogs >= 2; }));
  component_->is_alive = false;
  // A tick that asked before the change may still ping: count from the next one.
  const int asked = component_->alive_calls;
  ASSERT_TRUE(wait_for([&] { return component_->alive_calls >= asked + 1; }));
  const int pinged = supervisor_.watchdogs;
  ASSERT_TRUE(wait_for([&] { return component_->alive_calls >= asked + 5; }));
  EXPECT_EQ(supervisor_.watchdogs, pinged) << "a wedged worker stops the pings";
  component_->is_alive = true;
  EXPECT_TRUE(wait_for([&] { return supervisor_.watchdogs > pinged; })) << "and they resume";
  runtime.request_stop();
  ASSERT_EQ(ran.wait_for(5s), std::future_status::ready);
}

TEST_F(daemon_runtime_test, check_prints_one_ok_line_and_touches_nothing) {
  std::ostringstream out, err;
  EXPECT_EQ(check_daemon_files(spec(), options_, out, err), 0);
  EXPECT_EQ(out.str(), "lbha-testd --check: " + (dir_ / "node.yaml").string() + " and " +
                           (dir_ / "etc" / "cluster.yaml").string() + ": OK\n");
  EXPECT_EQ(err.str(), "");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run")) << "no socket, no run directory";
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state"));
}

TEST_F(daemon_runtime_test, check_prints_every_error_with_file_line_and_key) {
  std::ofstream(dir_ / "etc" / "cluster.yaml") << "generation: 2\nbogus: 1\n";
  std::ostringstream out, err;
  EXPECT_EQ(check_daemon_files(spec(), options_, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_NE(err.str().find((dir_ / "etc" / "cluster.yaml").string() + ":2: bogus"),
            std::string::npos)
      << err.str();
  std::filesystem::remove(dir_ / "etc" / "cluster.yaml");
  std::ostringstream absent;
  EXPECT_EQ(check_daemon_files(spec(), options_, absent, err), 0)
      << "no cluster.yaml yet is what a fresh node runs with";
  EXPECT_NE(absent.str().find("absent"), std::string::npos);
}

TEST_F(daemon_runtime_test, check_runs_the_daemons_own_validation_as_start_does) {
  write_cluster(77);
  std::ostringstream out, err;
  EXPECT_EQ(check_daemon_files(spec(), options_, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "lbha-testd --check: the daemon's own check refuses 77\n");
  daemon_runtime runtime(spec(), options_, clock_, supervisor_);
  auto started = runtime.start();
  ASSERT_FALSE(started) << "what --check refuses, start refuses";
  EXPECT_EQ(started.error().message(), "the daemon's own check refuses 77");
}

TEST(systemd_supervisor, sends_the_notify_protocol_to_NOTIFY_SOCKET) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("lbha-notify-" + std::to_string(::getpid()) + ".sock");
  std::filesystem::remove(path);
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::unsetenv("WATCHDOG_PID");
  systemd_supervisor s;  // libsystemd reads NOTIFY_SOCKET at each call
  EXPECT_EQ(s.watchdog_interval(), 3s);

  auto next = [&] {
    char buffer[512];
    const auto n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    return n < 0 ? std::string("<nothing>") : std::string(buffer, static_cast<std::size_t>(n));
  };
  s.ready("serving 2 virtual services");
  EXPECT_EQ(next(), "READY=1\nSTATUS=serving 2 virtual services");
  s.reloading();
  EXPECT_EQ(next().rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u);
  s.watchdog();
  EXPECT_EQ(next(), "WATCHDOG=1");
  s.stopping();
  EXPECT_EQ(next(), "STOPPING=1");
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::close(fd);
  std::filesystem::remove(path);

  systemd_supervisor unsupervised;  // no NOTIFY_SOCKET: nothing to send, nothing fails
  EXPECT_FALSE(unsupervised.notify("READY=1"));
  EXPECT_EQ(unsupervised.watchdog_interval(), 0us);

  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", "1", 1);
  systemd_supervisor not_ours;  // the watchdog was armed for another process
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  EXPECT_EQ(not_ours.watchdog_interval(), 0us);
}

}  // namespace
}  // namespace lbha
