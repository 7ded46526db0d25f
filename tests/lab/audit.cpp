#include "tests/lab/audit.hpp"

#include <arpa/inet.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <set>
#include <sstream>

#include "tests/lab/client_probe.hpp"
#include "tests/lab/lab.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/process.hpp"
#include "tests/lab/vip_watch.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::lab {

namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using std::chrono::milliseconds;

std::optional<Value> parse_json(const std::string& json) {
  Value value;
  if (!google::protobuf::util::JsonStringToMessage(json, &value).ok()) return std::nullopt;
  return value;
}

const Value* field(const Value& object, const std::string& key) {
  if (!object.has_struct_value()) return nullptr;
  const auto& fields = object.struct_value().fields();
  auto it = fields.find(key);
  return it == fields.end() ? nullptr : &it->second;
}

std::string string_field(const Value& object, const std::string& key) {
  const auto* v = field(object, key);
  return v != nullptr && v->has_string_value() ? v->string_value() : std::string();
}

// "2001:DB8::0100" -> "2001:db8::100"; text that is no address stays as it is.
std::string normalize_ip(const std::string& text) { return canonical_ip(text).value_or(text); }

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// 64-bit integers come as strings from protobuf's JSON printer; accept numbers too.
std::optional<std::uint64_t> uint_field(const Value& object, const std::string& key) {
  const auto* v = field(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->has_number_value()) return static_cast<std::uint64_t>(v->number_value());
  if (v->has_string_value()) {
    try {
      return std::stoull(v->string_value());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) out += (i ? separator : "") + words[i];
  return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string failed_command(const std::string& what, const std::string& node,
                           const command_result& r) {
  return what + " on " + node + " failed: " + r.status.to_string() +
         (r.timed_out ? " (timed out)" : "") + ": " + first_line(r.err.empty() ? r.out : r.err);
}

// One polling round of the node-state checks (VIP owners, neighbours,
// generations, persistence): the failures, and whether a VIP check failed.
struct round_result {
  std::vector<std::string> failures;
  bool vip_failed = false;
};

round_result check_nodes(const audit_input& in) {
  round_result result;
  auto& failures = result.failures;
  const lab& l = *in.topology;

  // vip_owner
  std::map<std::string, std::vector<std::string>> owners;  // vip -> nodes holding it
  for (const auto& node : in.lb_nodes) {
    const auto r = l.exec(node, {"ip", "-j", "addr", "show"});
    if (!r.ok()) {
      failures.push_back("vip_owner: " + failed_command("ip -j addr", node, r));
      result.vip_failed = true;
      continue;
    }
    const auto held = addresses_in_ip_addr(r.out);
    for (const auto& vip : in.vips) {
      if (std::find(held.begin(), held.end(), normalize_ip(vip)) != held.end()) {
        owners[vip].push_back(node);
      }
    }
  }
  for (const auto& vip : in.vips) {
    const auto& who = owners[vip];
    if (who.size() == 1) continue;
    result.vip_failed = true;
    failures.push_back("vip_owner: " + vip +
                       (who.empty() ? " is held by no LB node"
                                    : " is held by " + join(who, " and ") + " (dual owner)"));
  }

  // neighbour
  std::map<std::string, std::string> macs;  // LB node -> its eth0 MAC
  for (const auto& node : in.lb_nodes) {
    const auto r = l.exec(node, {"ip", "-j", "link", "show", "dev", "eth0"});
    auto mac = r.ok() ? link_mac(r.out) : std::nullopt;
    if (mac) macs[node] = lower(*mac);
  }
  for (const auto& vip : in.vips) {
    const auto& who = owners[vip];
    if (who.size() != 1 || !macs.count(who[0])) continue;  // reported above
    const auto& owner_mac = macs[who[0]];
    for (const auto& client : in.clients) {
      const auto r = l.exec(client, {"ip", "-j", "neigh", "show", "to", vip});
      if (!r.ok()) {
        failures.push_back("neighbour: " + failed_command("ip -j neigh", client, r));
        continue;
      }
      const auto mac = neighbour_mac(r.out, vip);
      if (!mac) {
        failures.push_back("neighbour: " + client + " has no neighbour entry with a MAC for " +
                           vip + " (owner " + who[0] + ", " + owner_mac +
                           "): did the client talk to the VIP?");
        continue;
      }
      if (lower(*mac) == owner_mac) continue;
      std::string whose = "no LB node's";
      for (const auto& [node, m] : macs) {
        if (m == lower(*mac)) whose = node + "'s";
      }
      failures.push_back("neighbour: " + client + " has " + vip + " at " + lower(*mac) + " (" +
                         whose + " eth0), but its owner " + who[0] + "'s eth0 is " + owner_mac);
    }
  }

  if (!in.lbctl) return result;

  // generation
  std::map<std::string, node_generations> generations;
  for (const auto& node : in.lb_nodes) {
    const auto r = in.lbctl(node, {"status", "--json"});
    auto parsed = generations_in_status(r.out);
    if (!parsed) {
      failures.push_back("generation: " + failed_command("lbctl status --json", node, r));
      continue;
    }
    generations[node] = *parsed;
  }
  if (auto differs = compare_generations(generations); !differs.empty()) {
    failures.push_back("generation: " + differs);
  }

  // persistence
  std::map<std::string, persistence_table> tables;
  for (const auto& node : in.lb_nodes) {
    const auto r = in.lbctl(node, {"persistence", "show", "--json"});
    auto parsed = r.ok() ? parse_persistence(r.out) : std::nullopt;
    if (!parsed) {
      failures.push_back("persistence: " +
                         failed_command("lbctl persistence show --json", node, r));
      continue;
    }
    tables[node] = std::move(*parsed);
  }
  if (tables.size() == in.lb_nodes.size()) {
    for (const auto& line : compare_persistence(tables)) failures.push_back("persistence: " + line);
  }
  return result;
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGBUS:
      return "SIGBUS";
    case SIGILL:
      return "SIGILL";
    case SIGFPE:
      return "SIGFPE";
    case SIGKILL:
      return "SIGKILL";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    default:
      return nullptr;
  }
}

bool is_crash(int sig) {
  return sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
         sig == SIGSYS || sig == SIGTRAP || sig == SIGQUIT || sig == SIGXCPU || sig == SIGXFSZ;
}

}  // namespace

std::string describe_exit(const exit_status& status) {
  if (status.signal == 0) return status.to_string();
  std::string out = "signal " + std::to_string(status.signal);
  const char* name = signal_name(status.signal);
  const std::string label = name != nullptr ? name : ::strsignal(status.signal);
  if (is_crash(status.signal)) return out + " (" + label + ": crashed, a core dump signal)";
  return out + " (" + label + ")";
}

std::vector<std::string> addresses_in_ip_addr(const std::string& json) {
  std::vector<std::string> out;
  const auto doc = parse_json(json);
  if (!doc || !doc->has_list_value()) return out;
  for (const auto& link : doc->list_value().values()) {
    const auto* infos = field(link, "addr_info");
    if (infos == nullptr || !infos->has_list_value()) continue;
    for (const auto& info : infos->list_value().values()) {
      const auto local = string_field(info, "local");
      if (!local.empty()) out.push_back(normalize_ip(local));
    }
  }
  return out;
}

std::optional<std::string> neighbour_mac(const std::string& json, const std::string& ip) {
  const auto doc = parse_json(json);
  if (!doc || !doc->has_list_value()) return std::nullopt;
  for (const auto& entry : doc->list_value().values()) {
    if (normalize_ip(string_field(entry, "dst")) != normalize_ip(ip)) continue;
    const auto mac = string_field(entry, "lladdr");
    if (!mac.empty()) return mac;
  }
  return std::nullopt;
}

std::optional<std::string> link_mac(const std::string& json) {
  const auto doc = parse_json(json);
  if (!doc || !doc->has_list_value() || doc->list_value().values_size() == 0) return std::nullopt;
  const auto mac = string_field(doc->list_value().values(0), "address");
  if (mac.empty()) return std::nullopt;
  return mac;
}

std::optional<node_generations> generations_in_status(const std::string& json) {
  const auto doc = parse_json(json);
  if (!doc || !doc->has_struct_value()) return std::nullopt;
  node_generations out;
  if (const auto* proxy = field(*doc, "proxy"); proxy != nullptr && proxy->has_struct_value()) {
    out.proxy = uint_field(*proxy, "generation").value_or(0);
  }
  if (const auto* ha = field(*doc, "ha"); ha != nullptr && ha->has_struct_value()) {
    out.heartbeat = uint_field(*ha, "config_generation").value_or(0);
  }
  return out;
}

std::string compare_generations(const std::map<std::string, node_generations>& by_node) {
  std::set<std::uint64_t> seen;
  bool missing = false;
  std::vector<std::string> parts;
  const auto show = [&](const std::optional<std::uint64_t>& g) {
    if (!g) {
      missing = true;
      return std::string("did not answer");
    }
    seen.insert(*g);
    return std::to_string(*g);
  };
  for (const auto& [node, g] : by_node) {
    const auto proxy = show(g.proxy);
    const auto heartbeat = show(g.heartbeat);
    parts.push_back(node + ": proxyd " + proxy + ", heartbeatd " + heartbeat);
  }
  if (!missing && seen.size() <= 1) return {};
  return join(parts, "; ");
}

std::optional<persistence_table> parse_persistence(const std::string& json) {
  const auto doc = parse_json(json);
  if (!doc || !doc->has_struct_value()) return std::nullopt;
  const auto* entries = field(*doc, "entries");
  if (entries == nullptr || !entries->has_list_value()) return std::nullopt;
  persistence_table table;
  for (const auto& e : entries->list_value().values()) {
    table[{string_field(e, "service"), normalize_ip(string_field(e, "client"))}] =
        string_field(e, "server");
  }
  return table;
}

std::vector<std::string> compare_persistence(
    const std::map<std::string, persistence_table>& tables) {
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& [node, table] : tables) {
    for (const auto& [key, server] : table) keys.insert(key);
  }
  std::vector<std::string> out;
  for (const auto& key : keys) {
    std::set<std::string> answers;
    std::vector<std::string> parts;
    for (const auto& [node, table] : tables) {
      auto it = table.find(key);
      const std::string server = it == table.end() ? "missing" : it->second;
      answers.insert(server);
      parts.push_back(node + " " + server);
    }
    if (answers.size() > 1) out.push_back(key.first + " " + key.second + ": " + join(parts, ", "));
  }
  return out;
}

std::string audit_report::describe() const {
  std::ostringstream out;
  for (const auto& f : failures) out << f << "\n";
  for (const auto& n : notes) out << "note: " << n << "\n";
  return out.str();
}

audit_report audit(const audit_input& in) {
  if (in.topology == nullptr) throw lab_error("audit: no lab given");
  audit_report report;

  round_result last;
  wait_until(
      [&] {
        last = check_nodes(in);
        return last.failures.empty();
      },
      in.settle, milliseconds(200));
  report.failures = std::move(last.failures);
  if (last.vip_failed && in.watch != nullptr) {
    report.failures.push_back("vip_owner: address events on the LB nodes:\n" +
                              in.watch->timeline());
  }
  if (!in.lbctl) report.notes.push_back("no lbctl given: generation and persistence not checked");

  for (auto* p : in.daemons) {
    if (p->running()) continue;
    const auto status = p->status();
    report.failures.push_back(
        "daemon: " + p->node() + " " + p->name() + " (pid " + std::to_string(p->pid()) +
        ") exited: " + (status ? describe_exit(*status) : std::string("unknown status")));
  }

  milliseconds worst_outage{0};
  for (const auto& [probe, budget] : in.probes) {
    const auto outage = probe->longest_outage();
    worst_outage = std::max(worst_outage, outage.length);
    if (outage.length > budget) {
      report.failures.push_back("probe: " + probe->options().name + ": longest outage " +
                                std::to_string(outage.length.count()) + " ms > budget " +
                                std::to_string(budget.count()) + " ms; " + probe->describe());
    }
    if (auto moved = probe->sticky_violation(); !moved.empty()) {
      report.failures.push_back("sticky: " + moved);
    }
  }

  const auto dual = in.watch != nullptr ? in.watch->worst_dual_owner() : milliseconds(0);
  const auto none = in.watch != nullptr ? in.watch->worst_no_owner() : milliseconds(0);
  report.result_line = "LAB-RESULT scenario=" + in.scenario +
                       " dual_owner_ms=" + std::to_string(dual.count()) +
                       " no_owner_ms=" + std::to_string(none.count()) +
                       " client_outage_ms=" + std::to_string(worst_outage.count());
  std::cout << report.result_line << std::endl;
  return report;
}

}  // namespace lbha::lab
