#include "tests/lab/naming.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <set>
#include <sstream>
#include <system_error>

#include "tests/lab/command.hpp"

namespace lbha::lab {

namespace {

std::atomic<unsigned> run_counter{0};

std::optional<unsigned long> parse_number(std::string_view text) {
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

std::vector<pid_t> pids_in(const std::string& netns) {
  std::vector<pid_t> pids;
  const auto result = run_command({"ip", "netns", "pids", netns});
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (auto pid = parse_number(line)) pids.push_back(static_cast<pid_t>(*pid));
  }
  return pids;
}

}  // namespace

std::string run_name::prefix() const {
  return "lbha" + std::to_string(owner) + (kept ? "k" : "x") + std::to_string(counter);
}

std::optional<run_name> run_name::parse(std::string_view netns) {
  if (netns.substr(0, 4) != "lbha") return std::nullopt;
  const auto rest = netns.substr(4);
  const auto kind = rest.find_first_of("xk");
  const auto dash = rest.find('-');
  if (kind == std::string_view::npos || dash == std::string_view::npos || dash < kind) {
    return std::nullopt;
  }
  const auto owner = parse_number(rest.substr(0, kind));
  const auto counter = parse_number(rest.substr(kind + 1, dash - kind - 1));
  if (!owner || !counter) return std::nullopt;
  return run_name{static_cast<pid_t>(*owner), static_cast<unsigned>(*counter), rest[kind] == 'k'};
}

run_name next_run_name(bool kept) {
  const auto existing = list_netns();
  for (;;) {
    run_name name{::getpid(), ++run_counter, kept};
    const std::string prefix = name.prefix() + "-";
    const bool used = std::any_of(existing.begin(), existing.end(), [&](const std::string& ns) {
      return ns.compare(0, prefix.size(), prefix) == 0;
    });
    if (!used) return name;
  }
}

std::vector<std::string> list_netns() {
  std::vector<std::string> names;
  const auto result = run_command({"ip", "netns", "list"});
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    // "name (id: 3)" when the namespace has an id.
    const auto end = line.find(' ');
    names.push_back(line.substr(0, end));
  }
  return names;
}

std::vector<std::string> run_namespaces(const std::string& prefix) {
  std::vector<std::string> names;
  const std::string start = prefix + "-";
  for (auto& ns : list_netns()) {
    if (ns.compare(0, start.size(), start) == 0) names.push_back(std::move(ns));
  }
  return names;
}

bool destroy_run(const std::string& prefix, std::ostream* log) {
  const auto names = run_namespaces(prefix);
  // Processes first: a namespace with a process in it outlives `ip netns del`.
  for (const auto& ns : names) {
    for (pid_t pid : pids_in(ns)) ::kill(pid, SIGKILL);
  }
  bool ok = true;
  for (const auto& ns : names) {
    const std::vector<std::string> argv{"ip", "netns", "del", ns};
    const auto result = run_command(argv);
    if (!result.ok()) {
      ok = false;
      if (log) *log << result.describe(argv) << "\n";
    }
  }
  return ok;
}

std::vector<std::string> cleanup_stale(const cleanup_options& options, std::ostream* log) {
  std::set<std::string> stale;
  for (const auto& ns : list_netns()) {
    const auto name = run_name::parse(ns);
    if (!name) continue;
    const bool owner_alive = process_alive(name->owner);
    if (name->kept && !options.include_kept) continue;
    if (!name->kept && owner_alive && !options.include_live) continue;
    stale.insert(name->prefix());
  }
  std::vector<std::string> removed;
  for (const auto& prefix : stale) {
    if (log) *log << "removing lab run " << prefix << "\n";
    destroy_run(prefix, log);
    if (!options.base_dir.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(options.base_dir / prefix, ignored);
    }
    removed.push_back(prefix);
  }
  return removed;
}

}  // namespace lbha::lab
