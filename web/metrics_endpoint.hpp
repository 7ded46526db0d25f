// metrics_endpoint: what lbha-webd answers on web.metrics_listen (plain HTTP,
// no log-in: the port is 127.0.0.1 by default, and the page is status, not
// secrets).
//
//   GET  /metrics   the node's metrics (text format 0.0.4)
//   HEAD /metrics   the same headers, no body
//
// Any other method on /metrics is 405, any other path 404. A scrape is one
// blocking read of the daemons (read_node: up to one 500 ms deadline), so it
// runs on the worker pool, never on the io thread; and one at a time: a
// request arriving while a read is under way waits for that read and answers
// with its page, so several scrapers (or a retrying one) never fan more RPCs
// out to the daemons than one scrape does. Everything but the read runs on
// the io thread: no locks.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "web/http_types.hpp"
#include "web/router.hpp"

namespace lbha::web {

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

class metrics_endpoint {
 public:
  // `scrape` reads the node and renders the page; it blocks and runs on `workers`.
  using scrape_function = std::function<std::string()>;

  metrics_endpoint(asio::io_context& io, asio::thread_pool& workers, scrape_function scrape);

  request_handler handler() {
    return [this](request_context context) { return router_.handle(std::move(context)); };
  }

  // Reads of the node made, and requests that shared a read under way.
  std::uint64_t scrapes() const { return scrapes_; }
  std::uint64_t scrapes_shared() const { return scrapes_shared_; }

 private:
  // One read and the requests waiting for it; `done` is cancelled when the
  // page is there, which wakes every waiter.
  struct pending_scrape {
    explicit pending_scrape(asio::io_context& io) : done(io) {}
    asio::steady_timer done;
    std::string page;
    std::exception_ptr failed;  // what the read threw, if it did
  };

  awaitable<response> do_scrape(request_context context);
  awaitable<std::string> do_read();

  asio::io_context& io_;
  asio::thread_pool& workers_;
  scrape_function scrape_;
  router router_;
  std::shared_ptr<pending_scrape> running_;  // set while a read is under way
  std::uint64_t scrapes_ = 0;
  std::uint64_t scrapes_shared_ = 0;
};

}  // namespace lbha::web
