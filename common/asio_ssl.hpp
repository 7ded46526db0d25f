// Boost.Asio's OpenSSL streams, through common/asio.hpp (which must come
// first). Link OpenSSL::SSL where this is used.
#pragma once

// clang-format off
#include "common/asio.hpp"
#include <boost/asio/ssl.hpp>
// clang-format on
