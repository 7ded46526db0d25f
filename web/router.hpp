// router: which handler answers a request, by method and exact path.
//
// The WebUI has a handful of fixed paths, so exact matches are all it needs:
// no patterns, no path parameters (forms carry their labels in the body).
// The query string is ignored for matching. A path with no route is 404; a
// known path asked with another method is 405 with an Allow header.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "web/http_types.hpp"

namespace lbha::web {

// "/a/b?x=1" -> "/a/b".
std::string_view path_of(std::string_view target);

class router {
 public:
  void add(http::verb method, std::string path, request_handler handler);

  struct match_result {
    const request_handler* handler = nullptr;  // set when found
    http::status refusal = http::status::not_found;
    std::string allow;  // for 405: the methods the path has, "GET, POST"
  };
  match_result match(http::verb method, std::string_view target) const;

  // The handler's response, or the refusal as a small plain-text page.
  awaitable<response> handle(request_context context) const;

 private:
  std::map<std::pair<std::string, http::verb>, request_handler, std::less<>> routes_;
};

}  // namespace lbha::web
