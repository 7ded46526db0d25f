// The real daemons on loopback: two nodes, each with lbha-proxyd and
// lbha-syncd processes (node A on 127.0.0.2, node B on 127.0.0.3), two real
// servers (lbha::lab::lab_server in this process) and clients from
// 127.0.0.x source addresses. Entries made on one node's proxyd must reach
// the other's with the same server and their remaining expiry; a node whose
// daemons restart is taught everything again; syncd follows a changed
// configuration on SIGHUP.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "common/asio.hpp"
#include "common/grpc_unix.hpp"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"
#include "common/packed_batch.hpp"
#include "common/state/pair_certificate.hpp"
#include "tests/lab/lab_server.hpp"
#include "tests/lab/process.hpp"
#include "tests/lab/spawn.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha::sync {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::string ip(std::uint8_t last) { return std::string{'\x7f', '\0', '\0', static_cast<char>(last)}; }

// The two real servers: HTTP answering "server <name>".
class real_servers {
 public:
  real_servers() {
    for (const char* name : {"rs1", "rs2"}) {
      servers_.push_back(std::make_unique<lab::lab_server>(
          io_, lab::lab_server_options{.address = "127.0.0.1", .port = 0, .name = name, .echo = false, .freebind = false}));
      servers_.back()->start();
      ports.push_back(servers_.back()->port());
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~real_servers() {
    asio::post(io_, [this] {
      for (auto& s : servers_) s->stop();
    });
    thread_.join();
  }
  std::vector<std::uint16_t> ports;

 private:
  asio::io_context io_;
  std::vector<std::unique_ptr<lab::lab_server>> servers_;
  std::thread thread_;
};

// One LB node: its config files and its proxyd and syncd processes.
class node {
 public:
  node(fs::path dir, std::string name, std::string address, std::string peer, std::uint16_t sync_port,
       std::string vip, std::uint16_t vip_port, const std::vector<std::uint16_t>& rs_ports)
      : dir_(std::move(dir)), name_(std::move(name)), address_(std::move(address)), sync_port_(sync_port) {
    for (const char* d : {"etc", "state", "run", "logs"}) fs::create_directories(dir_ / d);
    // pair.pem, as pairing leaves it: the same certificate on every node of this process.
    static const auto pair = state::make_pair_certificate("daemons-test").value();
    EXPECT_TRUE(state::write_pair_certificate(state::state_files(dir_ / "state").pair_certificate(), pair));
    write_node_yaml(peer);
    cluster_ = "generation: 1\nterm: 1\nvirtual_services:\n  - label: web\n    ip: " + vip +
               "\n    ports: [" + std::to_string(vip_port) +
               "]\n    persistence: {mode: source_ip, timeout: 30m}\n"
               "    check: {type: connect, interval: 200ms}\n    real_servers:\n"
               "      - {label: rs1, ip: 127.0.0.1, port: " + std::to_string(rs_ports[0]) + "}\n"
               "      - {label: rs2, ip: 127.0.0.1, port: " + std::to_string(rs_ports[1]) + "}\n";
    write_cluster_yaml(cluster_);
  }

  void write_node_yaml(const std::string& peer) const {
    std::ofstream(dir_ / "etc/node.yaml")
        << "node_name: " << name_ << "\ninterface: lo\nlocal_addresses: [" << address_
        << "]\npeer_addresses: [" << peer << "]\nports: {sync: " << sync_port_
        << "}\ndirectories: {config_dir: " << (dir_ / "etc").string()
        << ", state_dir: " << (dir_ / "state").string() << ", run_dir: " << (dir_ / "run").string()
        << "}\nproxy: {threads: 1}\n";
  }
  void write_cluster_yaml(const std::string& text) const { std::ofstream(dir_ / "etc/cluster.yaml") << text; }
  const std::string& cluster() const { return cluster_; }

  void start_proxyd() {
    proxyd_ = start("proxyd", LBHA_PROXYD_PATH, {"--node-config", (dir_ / "etc/node.yaml").string()});
    ASSERT_TRUE(eventually([&] { return fs::exists(dir_ / "run/proxyd.sock"); })) << proxyd_->logs();
  }
  void start_syncd() {
    syncd_ = start("syncd", LBHA_SYNCD_PATH,
                   {"--node-config", (dir_ / "etc/node.yaml").string(), "--listen", address_});
    ASSERT_TRUE(eventually([&] { return sync_status().has_value(); })) << syncd_->logs();
  }
  void kill_all() {
    if (syncd_) syncd_->kill();
    if (proxyd_) proxyd_->kill();
    syncd_.reset();
    proxyd_.reset();
    fs::remove(dir_ / "run/proxyd.sock");
    fs::remove(dir_ / "run/syncd.sock");
  }
  void kill_syncd() {
    syncd_->kill();
    syncd_.reset();
    fs::remove(dir_ / "run/syncd.sock");
  }
  void kill_proxyd() {
    proxyd_->kill();
    proxyd_.reset();
    fs::remove(dir_ / "run/proxyd.sock");
  }
  lab::process& syncd() { return *syncd_; }
  std::string logs() const {
    return (proxyd_ ? proxyd_->logs() : std::string()) + (syncd_ ? syncd_->logs() : std::string());
  }

  // Sticks entries in proxyd's table as its own decisions (what a new client does).
  void stick(const std::vector<v1::StickEntry>& entries) const {
    auto stub = v1::Proxy::NewStub(unix_channel(dir_ / "run/proxyd.sock"));
    grpc::ClientContext context;
    v1::ProxyResult result;
    auto writer = stub->ApplyTable(&context, &result);
    v1::StickBatch batch;
    batch.set_local(true);
    for (const auto& e : entries) *batch.add_entries() = e;
    writer->Write(batch);
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
  }
  // proxyd's table: client bytes -> entry.
  std::map<std::string, v1::StickEntry> table() const {
    std::map<std::string, v1::StickEntry> out;
    auto stub = v1::Proxy::NewStub(unix_channel(dir_ / "run/proxyd.sock"));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 5s);
    auto reader = stub->SnapshotTable(&context, {});
    v1::StickBatch batch;
    while (reader->Read(&batch)) {
      for (const auto& e : batch.entries()) out[e.client()] = e;
    }
    reader->Finish();
    return out;
  }
  std::optional<v1::SyncStatus> sync_status() const {
    auto stub = v1::Sync::NewStub(unix_channel(dir_ / "run/syncd.sock"));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 2s);
    v1::SyncStatus status;
    if (!stub->GetStatus(&context, {}, &status).ok()) return std::nullopt;
    return status;
  }
  bool connected() const {
    auto s = sync_status();
    return s && s->peers_size() > 0 && s->peers(0).connected() && s->proxy_connected();
  }

 private:
  std::unique_ptr<lab::process> start(const std::string& what, const std::string& binary,
                                      std::vector<std::string> args) {
    args.insert(args.begin(), test_support::in_build_tree(binary).string());
    const auto out = dir_ / "logs" / (what + ".out"), err = dir_ / "logs" / (what + ".err");
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    lab::spawn_request request;
    request.argv = args;
    request.stdout_fd = out_fd;
    request.stderr_fd = err_fd;
    const pid_t pid = lab::spawn(request);
    ::close(out_fd);
    ::close(err_fd);
    return std::make_unique<lab::process>(name_, what, args, pid, out, err);
  }

  fs::path dir_;
  std::string name_;
  std::string address_;
  std::uint16_t sync_port_;
  std::string cluster_;
  std::unique_ptr<lab::process> proxyd_;
  std::unique_ptr<lab::process> syncd_;
};

v1::StickEntry entry(std::uint8_t last, const std::string& server, std::uint32_t expires_in_ms) {
  v1::StickEntry e;
  e.set_virtual_service("web");
  e.set_client(ip(last));
  e.set_real_server(server);
  e.set_expires_in_ms(expires_in_ms);
  return e;
}

// A client from 127.0.0.<last> through `vip`: the real server that answered.
std::string client_get(std::uint8_t last, const std::string& vip, std::uint16_t port) {
  try {
    asio::io_context io;
    tcp::socket s(io);
    s.open(tcp::v4());
    s.bind({asio::ip::make_address("127.0.0." + std::to_string(last)), 0});
    s.connect({asio::ip::make_address(vip), port});
    const std::string request = "GET / HTTP/1.0\r\n\r\n";
    asio::write(s, asio::buffer(request));
    std::string answer;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(answer), ec);
    const auto at = answer.find("server ");
    if (at == std::string::npos) return "";
    return answer.substr(at + 7, answer.find('\n', at) - at - 7);
  } catch (const std::exception&) {
    return "";
  }
}

class daemons : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lbha-syncd-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const auto sync_port = free_port();
    vip_port_ = free_port();
    a_ = std::make_unique<node>(dir_ / "a", "lba", "127.0.0.2", "127.0.0.3", sync_port, "127.0.0.20",
                                vip_port_, servers_.ports);
    b_ = std::make_unique<node>(dir_ / "b", "lbb", "127.0.0.3", "127.0.0.2", sync_port, "127.0.0.21",
                                vip_port_, servers_.ports);
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << a_->logs() << b_->logs();
    a_->kill_all();
    b_->kill_all();
    fs::remove_all(dir_);
  }
  void start_both() {
    a_->start_proxyd();
    b_->start_proxyd();
    a_->start_syncd();
    b_->start_syncd();
    ASSERT_TRUE(eventually([&] { return a_->connected() && b_->connected(); }));
  }

  real_servers servers_;
  fs::path dir_;
  std::uint16_t vip_port_ = 0;
  std::unique_ptr<node> a_, b_;
};

TEST_F(daemons, entries_reach_the_other_proxyd_with_server_and_remaining_expiry) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  // Real clients through A's proxyd: balanced, stuck, replicated.
  std::map<std::string, std::string> landed;
  for (std::uint8_t c = 51; c <= 54; ++c) {
    std::string server;
    ASSERT_TRUE(eventually([&] { return !(server = client_get(c, "127.0.0.20", vip_port_)).empty(); }))
        << a_->logs();
    landed[ip(c)] = server;
  }
  // Entries with less than the table's 30 min left: B must not extend them.
  a_->stick({entry(61, "rs2", 100000), entry(62, "rs1", 200000)});
  ASSERT_TRUE(eventually([&] { return b_->table().size() == 6; })) << b_->logs();
  const auto table = b_->table();
  for (const auto& [client, server] : landed) {
    ASSERT_TRUE(table.count(client));
    EXPECT_EQ(table.at(client).real_server(), server);
    EXPECT_GT(table.at(client).expires_in_ms(), 1790000u);
  }
  EXPECT_EQ(table.at(ip(61)).real_server(), "rs2");
  EXPECT_LE(table.at(ip(61)).expires_in_ms(), 100000u);
  EXPECT_GT(table.at(ip(61)).expires_in_ms(), 90000u);
  EXPECT_EQ(table.at(ip(62)).real_server(), "rs1");
  EXPECT_LE(table.at(ip(62)).expires_in_ms(), 200000u);
  EXPECT_GT(table.at(ip(62)).expires_in_ms(), 190000u);

  // And B's clients reach A; through B's VIP a client of A lands on its server.
  b_->stick({entry(71, "rs1", 300000)});
  ASSERT_TRUE(eventually([&] { return a_->table().count(ip(71)) == 1; })) << a_->logs();
  EXPECT_EQ(a_->table().at(ip(71)).real_server(), "rs1");
  for (const auto& [client, server] : landed) {
    EXPECT_EQ(client_get(static_cast<std::uint8_t>(client[3]), "127.0.0.21", vip_port_), server);
  }
}

// syncd's bulk form of ApplyTable: proxyd applies packed batches and refuses
// (and counts) malformed ones whole, without dropping the stream or crashing.
TEST_F(daemons, proxyd_applies_packed_batches_and_refuses_malformed_ones) {
  ASSERT_NO_FATAL_FAILURE(a_->start_proxyd());
  auto stub = v1::Proxy::NewStub(unix_channel(dir_ / "a/run/proxyd.sock"));
  auto packed_batch = [](std::uint8_t first, std::uint8_t count) {
    packed::encoder enc;
    for (std::uint8_t i = 0; i < count; ++i) {
      enc.add("web", ip(static_cast<std::uint8_t>(first + i)), i % 2 ? "rs2" : "rs1", 100000);
    }
    v1::StickBatch batch;
    enc.take(batch);
    return batch;
  };
  grpc::ClientContext context;
  v1::ProxyResult result;
  auto writer = stub->ApplyTable(&context, &result);
  ASSERT_TRUE(writer->Write(packed_batch(81, 3)));
  auto truncated = packed_batch(91, 2);
  truncated.mutable_packed()->pop_back();
  ASSERT_TRUE(writer->Write(truncated));
  auto bad_name = packed_batch(95, 1);
  bad_name.mutable_names()->RemoveLast();
  ASSERT_TRUE(writer->Write(bad_name));
  ASSERT_TRUE(writer->Write(packed_batch(84, 1)));
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(result.message(), "applied 4, skipped 0, refused 2 malformed batches");

  const auto table = a_->table();
  ASSERT_EQ(table.size(), 4u) << a_->logs();
  EXPECT_EQ(table.at(ip(81)).real_server(), "rs1");
  EXPECT_EQ(table.at(ip(82)).real_server(), "rs2");
  EXPECT_EQ(table.at(ip(84)).real_server(), "rs1");
  EXPECT_LE(table.at(ip(83)).expires_in_ms(), 100000u);
  EXPECT_GT(table.at(ip(83)).expires_in_ms(), 90000u);
  grpc::ClientContext status_context;
  v1::ProxyStatus status;
  ASSERT_TRUE(stub->GetStatus(&status_context, {}, &status).ok());
  EXPECT_EQ(status.stick_packed_rejected(), 2u);
  EXPECT_EQ(status.stick_entries(), 4u);
}

TEST_F(daemons, a_restarted_node_is_taught_everything) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  std::vector<v1::StickEntry> entries;
  for (int i = 1; i <= 200; ++i) {
    entries.push_back(entry(static_cast<std::uint8_t>(i), i % 2 ? "rs1" : "rs2", 600000));
  }
  a_->stick(entries);
  ASSERT_TRUE(eventually([&] { return b_->table().size() == 200; })) << b_->logs();

  // B's proxyd and syncd crash and come back empty: taught everything by A.
  b_->kill_all();
  ASSERT_NO_FATAL_FAILURE(b_->start_proxyd());
  EXPECT_TRUE(b_->table().empty());
  ASSERT_NO_FATAL_FAILURE(b_->start_syncd());
  ASSERT_TRUE(eventually([&] { return b_->table().size() == 200; })) << b_->logs();
  for (const auto& [client, e] : b_->table()) {
    EXPECT_EQ(e.real_server(), static_cast<std::uint8_t>(client[3]) % 2 ? "rs1" : "rs2");
    EXPECT_LE(e.expires_in_ms(), 600000u);
  }
  ASSERT_TRUE(eventually([&] { return !b_->sync_status()->resync_pending(); }));

  // A's proxyd alone restarts: its syncd gives it the table back.
  a_->kill_proxyd();
  ASSERT_NO_FATAL_FAILURE(a_->start_proxyd());
  ASSERT_TRUE(eventually([&] { return a_->table().size() == 200; })) << a_->logs();

  // A's syncd alone restarts, missing an entry B makes meanwhile: it learns
  // its proxyd's table back, and B's entry, and B keeps everything.
  a_->kill_syncd();
  b_->stick({entry(250, "rs2", 600000)});
  ASSERT_NO_FATAL_FAILURE(a_->start_syncd());
  ASSERT_TRUE(eventually([&] { return a_->table().size() == 201; })) << a_->logs();
  EXPECT_EQ(a_->table().at(ip(250)).real_server(), "rs2");
  ASSERT_TRUE(eventually([&] {
    auto s = a_->sync_status();
    return s && !s->resync_pending() && s->tables_size() == 1 && s->tables(0).entries() == 201;
  })) << a_->logs();
  EXPECT_EQ(b_->table().size(), 201u);
}

TEST_F(daemons, syncd_follows_a_new_configuration_on_sighup) {
  ASSERT_NO_FATAL_FAILURE(start_both());
  a_->stick({entry(1, "rs1", 600000)});
  ASSERT_TRUE(eventually([&] { return b_->table().size() == 1; }));

  // A second persistent virtual service on both nodes, announced by SIGHUP.
  const std::string api = "  - label: api\n    ip: 127.0.0.22\n    ports: [" +
                          std::to_string(free_port()) +
                          "]\n    persistence: {mode: source_ip, timeout: 10m}\n"
                          "    real_servers:\n      - {label: api1, ip: 127.0.0.1, port: " +
                          std::to_string(servers_.ports[0]) + "}\n";
  for (auto* n : {a_.get(), b_.get()}) {
    n->write_cluster_yaml(n->cluster() + api);
    n->syncd().signal(SIGHUP);
  }
  auto tables = [](const node& n) {
    std::vector<std::string> out;
    if (auto s = n.sync_status()) {
      for (const auto& t : s->tables()) out.push_back(t.name());
    }
    return out;
  };
  const std::vector<std::string> both{"web", "api"};
  ASSERT_TRUE(eventually([&] { return tables(*a_) == both && tables(*b_) == both; })) << a_->logs();
  ASSERT_TRUE(eventually([&] { return a_->connected() && b_->connected(); }));
  // The kept table kept its entry; the new one replicates.
  EXPECT_EQ(a_->sync_status()->tables(0).entries(), 1u);
  v1::StickEntry e = entry(9, "api1", 300000);
  e.set_virtual_service("api");
  a_->stick({e});
  ASSERT_TRUE(eventually([&] {
    auto t = b_->table();
    return t.count(ip(9)) && t.at(ip(9)).virtual_service() == "api";
  })) << b_->logs();

  // A broken cluster.yaml is refused and the running configuration stays.
  a_->write_cluster_yaml("virtual_services: [oops\n");
  a_->syncd().signal(SIGHUP);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(a_->syncd().running());
  EXPECT_EQ(tables(*a_), both);

  // A new peer address: the session to the old one ends.
  a_->write_node_yaml("127.0.0.4");
  a_->write_cluster_yaml(a_->cluster());
  a_->syncd().signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    auto s = a_->sync_status();
    return s && s->peers_size() == 1 && s->peers(0).address() == "127.0.0.4" && !s->peers(0).connected();
  })) << a_->logs();
}

}  // namespace
}  // namespace lbha::sync
