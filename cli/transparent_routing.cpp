#include "cli/transparent_routing.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <set>

#include "common/child_process.hpp"
#include "common/config/values.hpp"

namespace lbha::cli {

namespace {

// `ip -j` prints one JSON array; empty output (no entries) is an empty list.
std::optional<google::protobuf::ListValue> json_list(const std::string& json) {
  google::protobuf::ListValue list;
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) return list;
  if (!google::protobuf::util::JsonStringToMessage(json, &list).ok()) return std::nullopt;
  return list;
}

std::string field(const google::protobuf::Value& entry, const std::string& name) {
  if (!entry.has_struct_value()) return "";
  const auto& fields = entry.struct_value().fields();
  auto it = fields.find(name);
  if (it == fields.end()) return "";
  if (it->second.has_number_value()) {
    return std::to_string(static_cast<long long>(it->second.number_value()));
  }
  return it->second.string_value();
}

const char* ip_program() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return nullptr;
}

}  // namespace

result<std::string> run_ip(const std::vector<std::string>& args) {
  const char* program = ip_program();
  if (!program) return error(std::errc::no_such_file_or_directory, "no ip program (iproute2)");
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  auto run = run_captured(argv, {"LC_ALL=C"}, std::chrono::seconds(5));
  if (!run) return run.error();
  if (!run.value().ok()) {
    return error(std::errc::io_error, run.value().describe(argv) + ": " + run.value().output);
  }
  return std::move(run.value().output);
}

std::string policy_routing_problem(const std::string& rules_json, const std::string& routes_json,
                                   bool v6) {
  const auto rules = json_list(rules_json);
  const auto routes = json_list(routes_json);
  if (!rules || !routes) return "could not read the output of ip -j";
  std::set<std::string> local_default_tables;
  for (const auto& route : routes->values()) {
    const auto dst = field(route, "dst");
    const bool any = dst == "default" || dst == (v6 ? "::/0" : "0.0.0.0/0");
    if (field(route, "type") == "local" && any) local_default_tables.insert(field(route, "table"));
  }
  bool marked = false;
  for (const auto& rule : rules->values()) {
    if (field(rule, "fwmark").empty()) continue;
    marked = true;
    if (local_default_tables.count(field(rule, "table"))) return "";
  }
  const std::string any = v6 ? "::/0" : "0.0.0.0/0";
  const std::string family = v6 ? "-6 " : "";
  if (!marked) {
    return "no `ip " + family + "rule` with a fwmark (e.g. ip " + family +
           "rule add fwmark 1 lookup 100)";
  }
  return "no fwmark rule's table has a local default route (e.g. ip " + family +
         "route add local " + any + " dev lo table 100)";
}

std::vector<std::string> transparent_routing_warnings(const v1::ClusterConfig& config,
                                                      const ip_runner& ip) {
  std::vector<std::string> warnings;
  for (const bool v6 : {false, true}) {
    std::string services;
    for (const auto& service : config.virtual_services()) {
      const auto address = config::parse_ip(service.ip());
      if (!service.transparent() || !address || address->v6 != v6) continue;
      services += (services.empty() ? "" : ", ") + service.label();
    }
    if (services.empty()) continue;
    const std::string family = v6 ? "-6" : "-4";
    auto rules = ip({"-j", family, "rule", "show"});
    auto routes = ip({"-j", family, "route", "show", "table", "all"});
    std::string problem;
    if (!rules) {
      problem = rules.error().message();
    } else if (!routes) {
      problem = routes.error().message();
    } else {
      problem = policy_routing_problem(rules.value(), routes.value(), v6);
    }
    if (problem.empty()) continue;
    warnings.push_back("transparent " + services + ": the real servers' replies will not reach " +
                       "proxyd on this node: " + problem +
                       "; see \"Transparent mode\" in the lbha README");
  }
  return warnings;
}

}  // namespace lbha::cli
