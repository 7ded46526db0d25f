// The WebUI end to end in one process: the HTTPS listener on 127.0.0.1 port
// 0 with a first-start certificate, the app with the test doubles behind it
// (fake_authenticator, fake_node), and a Beast TLS client that verifies the
// certificate: log-in, the cookie's flags, CSRF refusals, read-only users,
// the rate limit on an injected clock, the HTTP port's redirect and the
// request limits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <thread>

#include "common/grpc_unix.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/web/webui_fixture.hpp"

namespace lbha::web {
namespace {

namespace beast = boost::beast;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST_F(webui_server, overview_without_a_session_goes_to_the_login_page) {
  const auto res = get("/lbadmin/");
  EXPECT_EQ(res.result(), http::status::see_other);
  EXPECT_EQ(res[http::field::location], "/lbadmin/login");
  EXPECT_EQ(res[http::field::strict_transport_security], "max-age=31536000");
  EXPECT_EQ(res["X-Frame-Options"], "DENY");
  // Not no-referrer: under it a browser's form POST says `Origin: null`,
  // which the cross-site check refuses (every log-in failed in Chromium).
  EXPECT_EQ(res["Referrer-Policy"], "same-origin");
  const auto login = get("/lbadmin/login");
  EXPECT_EQ(login.result(), http::status::ok);
  EXPECT_THAT(login.body(), HasSubstr("<form method=\"post\" action=\"/lbadmin/login\""));
  EXPECT_EQ(get("/")[http::field::location], "/lbadmin/");
  EXPECT_EQ(get("/lbadmin/static/lbha.js")[http::field::content_type],
            "text/javascript; charset=utf-8");
}

TEST_F(webui_server, log_in_sets_a_secure_http_only_strict_cookie) {
  const auto res = post("/lbadmin/login", "user=admin&password=secret");
  ASSERT_EQ(res.result(), http::status::see_other) << res.body();
  EXPECT_EQ(res[http::field::location], "/lbadmin/");
  EXPECT_THAT(std::string(res[http::field::set_cookie]),
              MatchesRegex("lbha_session=[0-9a-f]{64}; Path=/lbadmin/; Secure; HttpOnly; "
                           "SameSite=Strict"));
  const std::string set_cookie(res[http::field::set_cookie]);
  const auto page = get("/lbadmin/", set_cookie.substr(0, set_cookie.find(';')));
  ASSERT_EQ(page.result(), http::status::ok);
  EXPECT_THAT(page.body(), HasSubstr("<td>IIS_VIP</td>"));
  EXPECT_THAT(page.body(), HasSubstr(">Drain</button>"));
}

TEST_F(webui_server, a_wrong_password_is_refused_and_rate_limited) {
  for (int i = 0; i < 5; ++i) {
    const auto res = post("/lbadmin/login", "user=admin&password=guess" + std::to_string(i));
    EXPECT_EQ(res.result(), http::status::unauthorized);
    EXPECT_THAT(res.body(), HasSubstr("wrong user name or password"));
    EXPECT_TRUE(res[http::field::set_cookie].empty());
  }
  const auto limited = post("/lbadmin/login", "user=admin&password=secret");
  EXPECT_EQ(limited.result(), http::status::too_many_requests);
  EXPECT_THAT(limited.body(), HasSubstr("too many failed log-ins: wait 30 s"));
  clock_.advance(30s);
  EXPECT_EQ(post("/lbadmin/login", "user=admin&password=secret").result(), http::status::see_other);
}

TEST_F(webui_server, a_user_in_neither_group_is_told_so) {
  const auto res = post("/lbadmin/login", "user=nobody&password=pw");
  EXPECT_EQ(res.result(), http::status::unauthorized);
  EXPECT_THAT(res.body(), HasSubstr("not in group lbha-admin or lbha"));
}

TEST_F(webui_server, a_forged_post_is_refused) {
  const auto cookie = log_in("admin", "secret");
  const auto csrf = csrf_of(get("/lbadmin/", cookie).body());
  ASSERT_EQ(csrf.size(), 64u);
  const std::string form = "vip=DA_VIP&rip=DA1&state=drain";
  EXPECT_EQ(post("/lbadmin/real-server/state", form, cookie).result(), http::status::forbidden);
  EXPECT_EQ(
      post("/lbadmin/real-server/state", form + "&csrf=" + std::string(64, 'a'), cookie).result(),
      http::status::forbidden);
  EXPECT_EQ(
      post("/lbadmin/real-server/state", form + "&csrf=" + csrf, cookie, "https://evil.example")
          .result(),
      http::status::forbidden);
  EXPECT_EQ(post("/lbadmin/real-server/state", form + "&csrf=" + csrf).result(),
            http::status::forbidden);  // no session at all
  EXPECT_TRUE(node_.changes().empty());
}

TEST_F(webui_server, drain_goes_through_the_node_and_says_what_happened) {
  const auto cookie = log_in("admin", "secret");
  const auto csrf = csrf_of(get("/lbadmin/", cookie).body());
  const auto res =
      post("/lbadmin/real-server/state", "csrf=" + csrf + "&vip=DA_VIP&rip=DA1&state=drain", cookie,
           "https://127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(res.result(), http::status::see_other) << res.body();
  const auto changes = node_.changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].service, "DA_VIP");
  EXPECT_EQ(changes[0].server, "DA1");
  EXPECT_EQ(changes[0].state, v1::REAL_SERVER_STATE_DRAIN);
  EXPECT_FALSE(changes[0].runtime_only);
  const auto page = get("/lbadmin/", cookie).body();
  EXPECT_THAT(page, HasSubstr("committed generation 8 on lb1 and lb2"));
  EXPECT_THAT(get("/lbadmin/", cookie).body(), Not(HasSubstr("committed generation 8")));
}

TEST_F(webui_server, a_read_only_user_sees_no_buttons_and_cannot_change) {
  const auto cookie = log_in("operator", "look");
  const auto page = get("/lbadmin/", cookie).body();
  EXPECT_THAT(page, HasSubstr("<td>DA1</td>"));
  EXPECT_THAT(page, Not(HasSubstr("/lbadmin/real-server/state")));
  const auto csrf = csrf_of(page);  // the log-out form's
  ASSERT_EQ(csrf.size(), 64u);
  const auto res =
      post("/lbadmin/real-server/state", "csrf=" + csrf + "&vip=DA_VIP&rip=DA1&state=halt", cookie);
  EXPECT_EQ(res.result(), http::status::forbidden);
  EXPECT_THAT(res.body(), HasSubstr("not in lbha-admin"));
  EXPECT_TRUE(node_.changes().empty());
}

TEST_F(webui_server, counts_log_ins_changes_and_refusals) {
  const auto cookie = log_in("admin", "secret");
  post("/lbadmin/login", "user=admin&password=wrong");
  const auto csrf = csrf_of(get("/lbadmin/", cookie).body());
  post("/lbadmin/real-server/state", "vip=DA_VIP&rip=DA1&state=drain", cookie);
  post("/lbadmin/real-server/state", "csrf=" + csrf + "&vip=DA_VIP&rip=DA1&state=drain", cookie);
  const auto counted = run_on(io_, [this] { return app_->counters(); });
  EXPECT_EQ(counted.logins, 1u);
  EXPECT_EQ(counted.login_failures, 1u);
  EXPECT_EQ(counted.refused_posts, 1u);
  EXPECT_EQ(counted.changes, 1u);
  EXPECT_EQ(run_on(io_, [this] { return app_->sessions(); }), 1u);
}

TEST_F(webui_server, the_json_endpoint_needs_a_session) {
  EXPECT_EQ(get("/lbadmin/api/overview").result(), http::status::unauthorized);
  const auto res = get("/lbadmin/api/overview", log_in("operator", "look"));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "application/json; charset=utf-8");
  EXPECT_THAT(res.body(), HasSubstr("\"schema\": \"lbha.webui.overview.v1\""));
}

TEST_F(webui_server, log_out_ends_the_session) {
  const auto cookie = log_in("admin", "secret");
  const auto csrf = csrf_of(get("/lbadmin/", cookie).body());
  EXPECT_EQ(post("/lbadmin/logout", "", cookie).result(), http::status::forbidden);
  const auto res = post("/lbadmin/logout", "csrf=" + csrf, cookie);
  EXPECT_EQ(res.result(), http::status::see_other);
  EXPECT_THAT(std::string(res[http::field::set_cookie]), HasSubstr("Max-Age=0"));
  EXPECT_EQ(get("/lbadmin/", cookie)[http::field::location], "/lbadmin/login");
}

TEST_F(webui_server, the_http_port_only_redirects_to_https) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect({asio::ip::make_address("127.0.0.1"), redirect_port_});
  request req{http::verb::get, "/anything?x=<y>", 11};
  req.set(http::field::host, "lb1.example:9080");
  http::write(stream, req);
  beast::flat_buffer buffer;
  response res;
  http::read(stream, buffer, res);
  EXPECT_EQ(res.result(), http::status::permanent_redirect);
  EXPECT_EQ(res[http::field::location],
            "https://lb1.example:" + std::to_string(port_) + "/lbadmin/");
}

TEST_F(webui_server, oversized_headers_and_bodies_are_refused) {
  request big_header{http::verb::get, "/lbadmin/", 11};
  big_header.set("X-Padding", std::string(10 * 1024, 'a'));
  EXPECT_EQ(fetch(std::move(big_header)).result(), http::status::request_header_fields_too_large);
  EXPECT_EQ(post("/lbadmin/login", "user=admin&password=" + std::string(70 * 1024, 'x')).result(),
            http::status::payload_too_large);
}

TEST_F(webui_server, tls_below_1_2_is_refused) {
  request req{http::verb::get, "/lbadmin/login", 11};
  EXPECT_THROW(fetch(std::move(req), TLS1_1_VERSION), boost::system::system_error);
}

// The same server with one-second timeouts: what a slow or idle client costs.
class webui_server_limits : public webui_server {
 protected:
  void SetUp() override {
    limits_.handshake_timeout = 1s;
    limits_.request_timeout = 1s;
    webui_server::SetUp();
  }

  // Bytes the server sent before it closed a plain TCP connection (or 5 s passed).
  static std::string read_until_closed(asio::ip::tcp::socket& socket) {
    std::string got;
    char buffer[512];
    boost::system::error_code ec;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!ec && std::chrono::steady_clock::now() < deadline) {
      if (socket.available(ec) == 0 && !ec) {
        pollfd p{socket.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
      }
      const auto n = socket.read_some(asio::buffer(buffer), ec);
      got.append(buffer, n);
    }
    EXPECT_TRUE(ec) << "still open after 5 s";
    return got;
  }
};

TEST_F(webui_server_limits, a_client_that_never_finishes_its_request_is_dropped) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect({asio::ip::make_address("127.0.0.1"), redirect_port_});
  asio::write(stream.socket(), asio::buffer(std::string("GET /lbadmin/ HTTP/1.1\r\nHost: x\r\n")));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_until_closed(stream.socket()), "") << "no answer to half a request";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST_F(webui_server_limits, a_client_that_never_shakes_hands_is_dropped) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port_});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_until_closed(socket), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST_F(webui_server_limits, connections_beyond_the_bound_are_closed_at_once) {
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> idle;
  for (int i = 0; i < 16; ++i) {
    idle.emplace_back(io);
    idle.back().connect({asio::ip::make_address("127.0.0.1"), port_});
  }
  for (int i = 0; i < 100 && run_on(io_, [this] { return https_->open_connections(); }) < 16; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(run_on(io_, [this] { return https_->open_connections(); }), 16u);
  asio::ip::tcp::socket extra(io);
  extra.connect({asio::ip::make_address("127.0.0.1"), port_});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_until_closed(extra), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms) << "closed at once, not timed out";
}

TEST(web_redirect_location, keeps_the_host_and_drops_the_http_port) {
  EXPECT_EQ(redirect_location("lb1:9080", 9443, "192.0.2.11"), "https://lb1:9443/lbadmin/");
  EXPECT_EQ(redirect_location("[2001:db8::1]:9080", 9443, "x"),
            "https://[2001:db8::1]:9443/lbadmin/");
  EXPECT_EQ(redirect_location("", 9443, "192.0.2.11"), "https://192.0.2.11:9443/lbadmin/");
  EXPECT_EQ(redirect_location("evil\"><script>", 9443, "192.0.2.11"),
            "https://192.0.2.11:9443/lbadmin/");
  EXPECT_EQ(redirect_location("[oops", 9443, "2001:db8::2"), "https://[2001:db8::2]:9443/lbadmin/");
}

}  // namespace
}  // namespace lbha::web
