// lbha-lab-server on loopback: HTTP with keep-alive, HEAD, and echo mode.
#include "tests/lab/lab_server.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "tests/lab/net.hpp"

namespace lbha::lab {
namespace {

using asio::ip::tcp;

class lab_server_test : public ::testing::Test {
 protected:
  void start(lab_server_options options) {
    options.address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<lab_server>(io_, options);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) asio::post(io_, [this] { server_->stop(); });
    if (thread_.joinable()) thread_.join();
  }

  // Sends `request` on a blocking socket and reads `bytes` bytes back.
  static std::string exchange(tcp::socket& socket, const std::string& request, std::size_t bytes) {
    asio::write(socket, asio::buffer(request));
    std::string reply(bytes, '\0');
    asio::read(socket, asio::buffer(reply));
    return reply;
  }

  asio::io_context io_;
  std::unique_ptr<lab_server> server_;
  std::thread thread_;
};

TEST_F(lab_server_test, answers_with_its_name) {
  start({.name = "rs1"});
  const auto response = http_get("", "127.0.0.1", server_->port());
  ASSERT_TRUE(response.ok) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "server rs1\n");
}

TEST_F(lab_server_test, keeps_the_connection_alive_between_requests) {
  start({.name = "rs2"});
  asio::io_context client_io;
  tcp::socket socket(client_io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  const std::string answer = http_answer("rs2", false, true);
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(exchange(socket, request, answer.size()), answer);
  // A POST body is skipped, and the connection still serves the next request.
  EXPECT_EQ(exchange(socket, "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", answer.size()),
            answer);
  EXPECT_EQ(exchange(socket, "HEAD / HTTP/1.1\r\n\r\n", http_answer("rs2", true, true).size()),
            http_answer("rs2", true, true));
  const std::string last = http_answer("rs2", false, false);
  EXPECT_EQ(exchange(socket, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", last.size()), last);
  boost::system::error_code ec;
  char byte;
  asio::read(socket, asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << "Connection: close must close";
}

TEST_F(lab_server_test, http10_closes_unless_asked_to_keep_alive) {
  start({.name = "rs1"});
  asio::io_context client_io;
  tcp::socket socket(client_io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  const std::string answer = http_answer("rs1", false, false);
  EXPECT_EQ(exchange(socket, "GET / HTTP/1.0\r\n\r\n", answer.size()), answer);
  boost::system::error_code ec;
  char byte;
  asio::read(socket, asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(lab_server_test, echo_mode_returns_the_bytes_sent) {
  start({.name = "rs1", .echo = true});
  asio::io_context client_io;
  tcp::socket socket(client_io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  EXPECT_EQ(exchange(socket, "GET / HTTP/1.1\r\n\r\n", 18), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(exchange(socket, "ping", 4), "ping");
}

TEST_F(lab_server_test, report_peer_mode_answers_with_the_connections_own_peer) {
  start({.name = "rs1", .report_peer = true});
  asio::io_context client_io;
  tcp::socket socket(client_io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  const std::string request = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string reply;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(reply), ec);
  EXPECT_EQ(reply, http_answer("rs1", false, false, "127.0.0.1"));
}

TEST_F(lab_server_test, proxy_protocol_mode_answers_with_the_headers_client) {
  start({.name = "rs1", .proxy_protocol = true});
  asio::io_context client_io;
  const auto ask = [&](const std::string& header) {
    tcp::socket socket(client_io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    const std::string request = header + "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::string reply;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(reply), ec);
    return reply;
  };
  EXPECT_EQ(ask("PROXY TCP4 192.0.2.7 192.0.2.100 40000 80\r\n"),
            http_answer("rs1", false, false, "192.0.2.7"));
  const std::string v2_signature("\r\n\r\n\0\r\nQUIT\n", 12);
  EXPECT_EQ(ask(v2_signature + std::string("\x21\x11\x00\x0c", 4) +
                std::string("\xc6\x33\x64\x09\xc0\x00\x02\x64\x9c\x40\x00\x50", 12)),
            http_answer("rs1", false, false, "198.51.100.9"));
  EXPECT_EQ(ask(v2_signature + std::string("\x20\x00\x00\x00", 4)),
            http_answer("rs1", false, false, "local"));
  EXPECT_EQ(ask(""), "") << "no header: dropped";
}

}  // namespace
}  // namespace lbha::lab
