// The /metrics endpoint on its own, with a scrape double: GET and HEAD only,
// the read off the io thread, and one read at a time (a request arriving
// during a read shares it instead of starting another).
#include "web/metrics_endpoint.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include "common/grpc_unix.hpp"

namespace lbha::web {
namespace {

class metrics_endpoint_test : public ::testing::Test {
 protected:
  void SetUp() override {
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    open_gate();
    guard_.reset();
    thread_.join();
    workers_.join();
  }

  // The request's answer, once the endpoint has given it (or thrown).
  std::future<response> ask(http::verb method, std::string target) {
    auto answer = std::make_shared<std::promise<response>>();
    auto result = answer->get_future();
    request_context context{request{method, target, 11}, "127.0.0.1"};
    asio::co_spawn(io_, endpoint_.handler()(std::move(context)),
                   [answer](std::exception_ptr e, response res) {
                     if (e) {
                       answer->set_exception(e);
                     } else {
                       answer->set_value(std::move(res));
                     }
                   });
    return result;
  }

  void open_gate() {
    if (!gate_opened_.exchange(true)) gate_.set_value();
  }

  // Counters are the io thread's.
  std::uint64_t shared() {
    return run_on(io_, [this] { return endpoint_.scrapes_shared(); });
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  asio::thread_pool workers_{2};
  std::promise<void> gate_;
  std::shared_future<void> gated_{gate_.get_future().share()};
  std::atomic<bool> gate_opened_{false};
  std::atomic<bool> hold_{false};  // while set, a read waits for the gate
  std::atomic<bool> fail_{false};
  std::atomic<int> reads_{0};
  std::atomic<std::thread::id> read_thread_{};
  metrics_endpoint endpoint_{io_, workers_, [this] {
                               read_thread_ = std::this_thread::get_id();
                               if (hold_) gated_.wait();
                               const int n = ++reads_;
                               if (fail_) throw std::runtime_error("no read");
                               return "lbha_test_reads " + std::to_string(n) + "\n";
                             }};
  std::thread thread_;
};

TEST_F(metrics_endpoint_test, get_answers_the_page_read_off_the_io_thread) {
  const auto res = ask(http::verb::get, "/metrics").get();
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), "lbha_test_reads 1\n");
  EXPECT_NE(read_thread_.load(), thread_.get_id());
  EXPECT_EQ(ask(http::verb::head, "/metrics").get().body(), "lbha_test_reads 2\n")
      << "HEAD reads as GET; the session drops the body";
  EXPECT_EQ(run_on(io_, [this] { return endpoint_.scrapes(); }), 2u);
}

TEST_F(metrics_endpoint_test, only_get_and_head_on_metrics) {
  for (auto method : {http::verb::post, http::verb::put, http::verb::delete_}) {
    const auto res = ask(method, "/metrics").get();
    EXPECT_EQ(res.result(), http::status::method_not_allowed) << http::to_string(method);
    EXPECT_EQ(res[http::field::allow], "GET, HEAD");
  }
  EXPECT_EQ(ask(http::verb::get, "/").get().result(), http::status::not_found);
  EXPECT_EQ(ask(http::verb::get, "/lbadmin/").get().result(), http::status::not_found);
  EXPECT_EQ(ask(http::verb::get, "/metrics?x=1").get().result(), http::status::ok);
  EXPECT_EQ(reads_, 1);
}

TEST_F(metrics_endpoint_test, a_scrape_during_a_read_shares_it) {
  hold_ = true;
  auto first = ask(http::verb::get, "/metrics");
  auto second = ask(http::verb::get, "/metrics");
  // The second is waiting on the first's read (no clock: the count says so).
  while (shared() < 1) std::this_thread::yield();
  open_gate();
  EXPECT_EQ(first.get().body(), "lbha_test_reads 1\n");
  EXPECT_EQ(second.get().body(), "lbha_test_reads 1\n");
  EXPECT_EQ(reads_, 1) << "one read for both";
  EXPECT_EQ(ask(http::verb::get, "/metrics").get().body(), "lbha_test_reads 2\n")
      << "once the read is over, the next scrape reads afresh";
}

TEST_F(metrics_endpoint_test, a_failed_read_fails_its_requests_and_not_the_next) {
  hold_ = true;
  fail_ = true;
  auto first = ask(http::verb::get, "/metrics");
  auto second = ask(http::verb::get, "/metrics");
  while (shared() < 1) std::this_thread::yield();
  open_gate();
  EXPECT_THROW(first.get(), std::runtime_error);
  EXPECT_THROW(second.get(), std::runtime_error);
  fail_ = false;
  EXPECT_EQ(ask(http::verb::get, "/metrics").get().body(), "lbha_test_reads 2\n");
}

}  // namespace
}  // namespace lbha::web
