// Interop with a real HAProxy 2.6 (Debian's /usr/sbin/haproxy) on loopback.
//
// HAProxy in mode tcp with `stick-table type ip ... peers` and `stick on src`
// peers with an in-process lbha syncd whose proxyd table is a test double.
// Clients from several 127.0.0.x source addresses go through HAProxy to two
// backends that answer with their name; the entries must reach lbha with the
// same server, entries made in lbha must appear in HAProxy's `show table`,
// and each side must be re-taught everything after a restart.
// Label: interop (needs the haproxy binary; skipped without it).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>

#include "replicator/sync/syncd.hpp"
#include "tests/replicator/sync/fake_table.hpp"

namespace lbha::sync {
namespace {

using tcp = asio::ip::tcp;
constexpr const char* haproxy_binary = "/usr/sbin/haproxy";

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// Backends that answer every connection with their name and close.
class backends {
 public:
  backends() {
    for (const char* name : {"s1", "s2"}) {
      auto a = std::make_shared<tcp::acceptor>(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      ports.push_back(a->local_endpoint().port());
      accept(a, name);
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~backends() {
    io_.stop();
    thread_.join();
  }
  std::vector<std::uint16_t> ports;

 private:
  void accept(std::shared_ptr<tcp::acceptor> a, std::string name) {
    a->async_accept([this, a, name](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      auto msg = std::make_shared<std::string>(name + "\n");
      asio::async_write(*sock, asio::buffer(*msg), [sock, msg](boost::system::error_code, std::size_t) {
        boost::system::error_code e;
        sock->shutdown(tcp::socket::shutdown_both, e);
      });
      accept(a, name);
    });
  }
  asio::io_context io_;
  std::thread thread_;
};

class haproxy_process {
 public:
  haproxy_process(const std::filesystem::path& config, const std::filesystem::path& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl(haproxy_binary, haproxy_binary, "-db", "-f", config.c_str(), nullptr);
      ::_exit(127);
    }
  }
  ~haproxy_process() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

class haproxy_interop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(haproxy_binary, X_OK) != 0) GTEST_SKIP() << "no " << haproxy_binary;
    dir_ = std::filesystem::temp_directory_path() /
           ("lbha-sync-interop-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    hap_peer_port_ = free_port();
    our_port_ = free_port();
    front_port_ = free_port();
    std::ofstream(dir_ / "haproxy.cfg")
        << "global\n  localpeer hap1\n  stats socket " << (dir_ / "hap1.sock").string()
        << " level admin\n"
        << "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n"
        << "peers mypeers\n  peer hap1 127.0.0.1:" << hap_peer_port_ << "\n  peer stickd 127.0.0.1:"
        << our_port_ << "\n"
        << "frontend fe_app\n  bind 127.0.0.1:" << front_port_ << "\n  default_backend be_app\n"
        << "backend be_app\n  stick-table type ip size 1m expire 30m peers mypeers\n  stick on src\n"
        << "  server s1 127.0.0.1:" << backends_.ports[0] << " id 1\n"
        << "  server s2 127.0.0.1:" << backends_.ports[1] << " id 2\n";
    start_haproxy();
    start_syncd();
  }
  void TearDown() override {
    if (daemon_) daemon_->stop();
    haproxy_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void start_haproxy() {
    haproxy_ = std::make_unique<haproxy_process>(dir_ / "haproxy.cfg", dir_ / "haproxy.log");
  }
  void start_syncd() {
    node_settings s;
    s.local_name = "stickd";
    s.peers = {{.name = "hap1", .addresses = {"127.0.0.1"}, .port = hap_peer_port_, .plain = true}};
    s.tables = {{.name = "be_app", .key = key_type::ipv4, .expire_ms = 1800000,
                 .servers = {"s1", "s2"}}};
    table_ = std::make_unique<fake_table>();
    daemon_ = std::make_unique<syncd>(io_, s,
                                      syncd_options{.listen_addresses = {"127.0.0.1"}, .port = our_port_},
                                      *table_, clock_);
    ASSERT_TRUE(daemon_->start());
  }
  void restart_syncd() {
    daemon_->stop();
    io_.restart();
    io_.run_for(std::chrono::milliseconds(50));
    daemon_.reset();
    start_syncd();
  }

  bool run_until(const std::function<bool()>& done, int seconds = 20) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();  // it stops whenever it runs out of work
      io_.run_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // One client connection from `source` through HAProxy: the backend's name, or "".
  std::string visit(const std::string& source) {
    asio::io_context io;
    tcp::socket s(io);
    boost::system::error_code ec;
    s.open(tcp::v4(), ec);
    s.bind({asio::ip::make_address(source), 0}, ec);
    s.connect({asio::ip::make_address("127.0.0.1"), front_port_}, ec);
    if (ec) return "";
    std::string reply;
    std::array<char, 64> buf;
    for (;;) {
      const auto n = s.read_some(asio::buffer(buf), ec);
      reply.append(buf.data(), n);
      if (ec) break;
    }
    while (!reply.empty() && reply.back() == '\n') reply.pop_back();
    return reply;
  }

  std::string show_table() {
    asio::io_context io;
    asio::local::stream_protocol::socket s(io);
    boost::system::error_code ec;
    s.connect((dir_ / "hap1.sock").string(), ec);
    if (ec) return "";
    asio::write(s, asio::buffer(std::string("show table be_app\n")), ec);
    std::string out;
    std::array<char, 4096> buf;
    for (;;) {
      const auto n = s.read_some(asio::buffer(buf), ec);
      out.append(buf.data(), n);
      if (ec) break;
    }
    return out;
  }

  bool has_entry(const bytes& key, const std::string& server) {
    auto it = table_->applied.find(key);
    return it != table_->applied.end() && it->second.server == server;
  }

  backends backends_;
  std::filesystem::path dir_;
  std::uint16_t hap_peer_port_ = 0, our_port_ = 0, front_port_ = 0;
  asio::io_context io_;
  steady_clock clock_;
  std::unique_ptr<haproxy_process> haproxy_;
  std::unique_ptr<fake_table> table_;
  std::unique_ptr<syncd> daemon_;
};

TEST_F(haproxy_interop, entries_flow_both_ways_and_survive_restarts) {
  ASSERT_TRUE(run_until([&] {
    const auto s = daemon_->status();
    return s.peers(0).connected() && !s.resync_pending();
  })) << "HAProxy never peered; see " << (dir_ / "haproxy.log");

  // HAProxy -> lbha: clients from 127.0.0.9..12 stick to whichever server served them.
  std::map<bytes, std::string> served;
  for (std::uint8_t last = 9; last <= 12; ++last) {
    const std::string server = visit("127.0.0." + std::to_string(last));
    ASSERT_TRUE(server == "s1" || server == "s2") << "got '" << server << "'";
    EXPECT_EQ(visit("127.0.0." + std::to_string(last)), server);  // sticky
    served[bytes{127, 0, 0, last}] = server;
  }
  ASSERT_TRUE(run_until([&] {
    for (const auto& [key, server] : served) {
      if (!has_entry(key, server)) return false;
    }
    return true;
  })) << "HAProxy's entries did not reach lbha";
  for (const auto& [key, server] : served) {
    EXPECT_GT(table_->applied[key].expires_in_ms, 1700000u);
  }

  // lbha -> HAProxy.
  table_->local({{"be_app", bytes{198, 51, 100, 7}, "s2", 1800000},
                 {"be_app", bytes{198, 51, 100, 8}, "s1", 1800000}});
  std::string table;
  ASSERT_TRUE(run_until([&] {
    table = show_table();
    return table.find("key=198.51.100.7 ") != std::string::npos &&
           table.find("key=198.51.100.8 ") != std::string::npos;
  })) << table;
  EXPECT_NE(table.find("key=198.51.100.7 use=0 exp="), std::string::npos) << table;
  auto line_of = [&](const std::string& key) {
    const auto at = table.find("key=" + key + " ");
    return table.substr(at, table.find('\n', at) - at);
  };
  EXPECT_NE(line_of("198.51.100.7").find("server_id=2"), std::string::npos) << table;
  EXPECT_NE(line_of("198.51.100.7").find("server_key=s2"), std::string::npos) << table;
  EXPECT_NE(line_of("198.51.100.8").find("server_id=1"), std::string::npos) << table;

  // A restarted lbha asks HAProxy for a full resync and gets everything back,
  // its own entries included (HAProxy holds them now).
  restart_syncd();
  ASSERT_TRUE(run_until([&] {
    for (const auto& [key, server] : served) {
      if (!has_entry(key, server)) return false;
    }
    return has_entry(bytes{198, 51, 100, 7}, "s2") && !daemon_->status().resync_pending();
  })) << "lbha was not re-taught after its restart";

  // A restarted HAProxy starts empty and is taught by lbha.
  haproxy_->stop();
  start_haproxy();
  ASSERT_TRUE(run_until([&] {
    table = show_table();
    return table.find("key=198.51.100.7 ") != std::string::npos &&
           table.find("key=127.0.0.9 ") != std::string::npos &&
           table.find("key=127.0.0.12 ") != std::string::npos;
  }, 30)) << "HAProxy was not re-taught after its restart: " << table;
  // And the clients it serves stay on their servers.
  for (const auto& [key, server] : served) {
    EXPECT_EQ(visit("127.0.0." + std::to_string(key[3])), server);
  }
}

}  // namespace
}  // namespace lbha::sync
