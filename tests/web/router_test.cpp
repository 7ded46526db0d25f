// The router: exact paths, the query ignored, 404 and 405 with Allow.
#include "web/router.hpp"

#include <gtest/gtest.h>

namespace lbha::web {
namespace {

request_handler answering(std::string body) {
  return [body](request_context context) -> awaitable<response> {
    co_return make_response(context.req, http::status::ok, "text/plain", body);
  };
}

response run(const router& r, http::verb method, std::string target) {
  asio::io_context io;
  request_context context{request{method, target, 11}, "192.0.2.50"};
  response out;
  const auto call = [&]() -> awaitable<void> {
    // Named, not a temporary in the co_await expression (g++ 12 mishandles those).
    out = co_await r.handle(std::move(context));
  };
  asio::co_spawn(io, call, asio::detached);
  io.run();
  return out;
}

TEST(web_router, path_of_drops_the_query) {
  EXPECT_EQ(path_of("/lbadmin/?x=1&y"), "/lbadmin/");
  EXPECT_EQ(path_of("/lbadmin/"), "/lbadmin/");
}

TEST(web_router, routes_by_method_and_exact_path) {
  router r;
  r.add(http::verb::get, "/lbadmin/", answering("overview"));
  r.add(http::verb::get, "/lbadmin/login", answering("login page"));
  r.add(http::verb::post, "/lbadmin/login", answering("log in"));
  EXPECT_EQ(run(r, http::verb::get, "/lbadmin/").body(), "overview");
  EXPECT_EQ(run(r, http::verb::get, "/lbadmin/?refresh=1").body(), "overview");
  EXPECT_EQ(run(r, http::verb::get, "/lbadmin/login").body(), "login page");
  EXPECT_EQ(run(r, http::verb::post, "/lbadmin/login").body(), "log in");
}

TEST(web_router, unknown_path_is_404) {
  router r;
  r.add(http::verb::get, "/lbadmin/", answering("overview"));
  EXPECT_EQ(run(r, http::verb::get, "/lbadmin").result(), http::status::not_found);
  EXPECT_EQ(run(r, http::verb::get, "/lbadmin/../etc/passwd").result(), http::status::not_found);
  EXPECT_EQ(run(r, http::verb::get, "/").result(), http::status::not_found);
}

TEST(web_router, known_path_with_another_method_is_405_with_allow) {
  router r;
  r.add(http::verb::get, "/lbadmin/login", answering("page"));
  r.add(http::verb::post, "/lbadmin/login", answering("log in"));
  r.add(http::verb::post, "/lbadmin/logout", answering("bye"));
  const auto res = run(r, http::verb::delete_, "/lbadmin/login");
  EXPECT_EQ(res.result(), http::status::method_not_allowed);
  EXPECT_EQ(res[http::field::allow], "GET, POST");
  EXPECT_EQ(run(r, http::verb::get, "/lbadmin/logout")[http::field::allow], "POST");
}

}  // namespace
}  // namespace lbha::web
