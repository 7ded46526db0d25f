#include "web/metrics_endpoint.hpp"

#include <exception>

#include "web/off_thread.hpp"

namespace lbha::web {

metrics_endpoint::metrics_endpoint(asio::io_context& io, asio::thread_pool& workers,
                                   scrape_function scrape)
    : io_(io), workers_(workers), scrape_(std::move(scrape)) {
  const auto scrape_route = [this](request_context context) {
    return do_scrape(std::move(context));
  };
  router_.add(http::verb::get, "/metrics", scrape_route);
  router_.add(http::verb::head, "/metrics", scrape_route);
}

awaitable<response> metrics_endpoint::do_scrape(request_context context) {
  std::string page = co_await do_read();
  auto res = make_response(context.req, http::status::ok, metrics_content_type, std::move(page));
  // Each scrape is a fresh read; a cache in between would show stale figures.
  res.set(http::field::cache_control, "no-store");
  co_return res;
}

awaitable<std::string> metrics_endpoint::do_read() {
  if (auto running = running_) {
    ++scrapes_shared_;
    boost::system::error_code ec;
    // Ends when the read's coroutine cancels the timer (it never expires by itself).
    co_await running->done.async_wait(asio::redirect_error(use_awaitable, ec));
    if (running->failed) std::rethrow_exception(running->failed);
    co_return running->page;
  }
  auto scrape = std::make_shared<pending_scrape>(io_);
  scrape->done.expires_at(asio::steady_timer::time_point::max());
  running_ = scrape;
  ++scrapes_;
  const auto read = [this] { return scrape_(); };
  try {
    scrape->page = co_await off_thread(workers_, read);
  } catch (const std::exception&) {
    // Every request of this read gets the failure (a 500 from the session);
    // the next request starts a new read.
    scrape->failed = std::current_exception();
  }
  running_.reset();
  scrape->done.cancel();
  if (scrape->failed) std::rethrow_exception(scrape->failed);
  co_return scrape->page;
}

}  // namespace lbha::web
