// An external health check (check.type: external): a program the operator
// names, run without a shell, whose exit status is the verdict (0 = up).
//
// The program gets a small fixed environment, never proxyd's own:
//   PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
//   LBHA_RS_ADDR, LBHA_RS_PORT            the address and port checked
//   LBHA_VS_LABEL, LBHA_RS_LABEL          which service and real server
//   HAPROXY_SERVER_ADDR, HAPROXY_SERVER_PORT  the same, for scripts written for HAProxy
// stdin is /dev/null; stdout and stderr go to one pipe, whose first line
// becomes the check's detail in `lbctl status`. A program still running at
// the check's timeout is killed (SIGKILL) and the check fails.
//
// Lifecycle: one call, one child. The child is reaped before the coroutine
// returns on every path, so no zombie outlives a check; the waiting is on a
// pidfd (Linux 5.3), so the io thread never blocks.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/asio.hpp"

namespace lbha::proxy {

struct external_check_target {
  std::string address;
  std::uint16_t port = 0;
  std::string service;      // virtual service label
  std::string real_server;  // real server label
};

// {passed, detail}: "exit 0: <first line>", "exit 3: <first line>",
// "killed after 1000 ms", "cannot run /path: <why>".
awaitable<std::pair<bool, std::string>> run_external_check(
    const std::vector<std::string>& argv, const external_check_target& target,
    std::chrono::milliseconds timeout);

}  // namespace lbha::proxy
