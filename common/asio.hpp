// The only way lbha code includes Boost.Asio.
//
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>,
// which g++ 12 no longer pulls in transitively, so <utility> must come first.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace lbha {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
}  // namespace lbha
