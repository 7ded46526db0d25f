// Whether this node can serve a transparent (TProxy) virtual service: the
// real servers answer the client's address, and only a policy rule sends
// those packets to proxyd's socket instead of forwarding them (README.md
// "Transparent mode"). lbctl looks for that rule after `vip add/modify
// --transparent yes` and in `lbctl status`, and warns when it is missing.
//
// The check reads `ip -j rule show` and `ip -j route show table all` for the
// families the transparent services use: some `ip rule` with a fwmark must
// look up a table holding a `local` default route (`local 0.0.0.0/0 dev lo`,
// or `::/0`). It does not read nftables (that needs root): the marking rule
// is the operator's part, documented with the rest.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "lbha/v1/config.pb.h"

namespace lbha::cli {

// Runs `ip` with these arguments and gives its standard output (the seam
// tests replace; run_ip() is the real one).
using ip_runner = std::function<result<std::string>(const std::vector<std::string>& args)>;
result<std::string> run_ip(const std::vector<std::string>& args);

// Pure: given `ip -j [-6] rule show` and `ip -j [-6] route show table all`,
// "" when a fwmark rule leads to a table with a local default route, else why not.
std::string policy_routing_problem(const std::string& rules_json, const std::string& routes_json,
                                   bool v6);

// One warning per family (IPv4, IPv6) whose transparent services lack the
// policy routing, naming the services; none when there is no transparent
// service or the routing is there.
std::vector<std::string> transparent_routing_warnings(const v1::ClusterConfig& config,
                                                      const ip_runner& ip);

}  // namespace lbha::cli
