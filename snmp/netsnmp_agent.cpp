#include "snmp/netsnmp_agent.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <thread>

#include "common/logging.hpp"
#include "snmp/mib.hpp"

// net-snmp last: its headers define macros (TRUE, FALSE, MAX_OID_LEN...) and
// the global type ::oid, which this file names with its scope. In this
// order: each needs the ones before.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
// clang-format on

namespace lbha::snmp {

namespace {

constexpr const char* app_name = "lbha-webd";
// AgentX ping (and reconnect) interval, seconds.
constexpr int ping_interval_s = 2;

// snmpTrapOID.0 (SNMPv2-MIB), the first varbind of every notification.
const ::oid snmp_trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

std::atomic<bool> agent_running{false};

// While net-snmp reads its MIB modules (at start-up, on the agent thread):
// Debian has none of the IETF ones it asks for, and a page of "Cannot find
// module" is no news to an operator. A subagent serves OIDs, never names.
bool loading_mibs = false;

// The running agent, for the request handler and the callbacks (agent
// thread only; one agent per process). Neither the handler's myvoid nor a
// callback's client argument: net-snmp frees those at shutdown.
netsnmp_agent::state* serving = nullptr;

std::vector<::oid> to_netsnmp(const oid& id) { return {id.begin(), id.end()}; }

oid from_netsnmp(const ::oid* name, std::size_t length) {
  oid out;
  out.reserve(length);
  // An arc beyond 32 bits orders after every arc LBHA-MIB uses.
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(static_cast<std::uint32_t>(
        std::min<::oid>(name[i], std::numeric_limits<std::uint32_t>::max())));
  }
  return out;
}

void set_value(netsnmp_variable_list* var, const value& v) {
  if (const auto* i = std::get_if<integer32>(&v)) {
    snmp_set_var_typed_integer(var, ASN_INTEGER, i->value);
  } else if (const auto* g = std::get_if<gauge32>(&v)) {
    snmp_set_var_typed_integer(var, ASN_GAUGE, static_cast<long>(g->value));
  } else if (const auto* c = std::get_if<counter64>(&v)) {
    ::counter64 wire{};
    wire.high = c->value >> 32;
    wire.low = c->value & 0xffffffffu;
    snmp_set_var_typed_value(var, ASN_COUNTER64, &wire, sizeof(wire));
  } else {
    const auto& text = std::get<std::string>(v);
    snmp_set_var_typed_value(var, ASN_OCTET_STR, text.data(), text.size());
  }
}

}  // namespace

struct netsnmp_agent::state {
  std::string master;
  int wake_fd = -1;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> traps_sent{0};
  std::atomic<std::uint64_t> traps_dropped{0};

  mutable std::mutex mutex;  // guards values and traps
  std::shared_ptr<const oid_map> values = std::make_shared<const oid_map>();
  std::deque<notification> traps;

  void wake() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof(one));
  }

  std::shared_ptr<const oid_map> snapshot() const {
    std::lock_guard lock(mutex);
    return values;
  }

  // The agent thread from here on.
  void run(std::promise<result<void>>& started);
  void send_traps();
};

namespace {

int log_to_spdlog(int, int, void* message, void*) {
  const auto* m = static_cast<snmp_log_message*>(message);
  std::string text = m->msg ? m->msg : "";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  auto log = get_logger("snmp");
  if (loading_mibs) {
    log->debug("net-snmp: {}", text);
  } else if (m->priority <= LOG_ERR) {
    log->error("net-snmp: {}", text);
  } else if (m->priority <= LOG_WARNING) {
    log->warn("net-snmp: {}", text);
  } else if (m->priority <= LOG_INFO) {
    log->info("net-snmp: {}", text);
  } else {
    log->debug("net-snmp: {}", text);
  }
  return SNMP_ERR_NOERROR;
}

int on_connected(int, int, void*, void*) {
  if (serving) serving->connected = true;
  return SNMP_ERR_NOERROR;
}

int on_disconnected(int, int, void*, void*) {
  if (serving) serving->connected = false;
  return SNMP_ERR_NOERROR;
}

void on_wake(int fd, void*) {
  std::uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(fd, &count, sizeof(count));
}

// GET and GETNEXT over the snapshot; GETBULK reaches here as GETNEXTs
// (net-snmp adds its bulk_to_next helper to a handler without bulk support).
int handle_request(netsnmp_mib_handler*, netsnmp_handler_registration*,
                   netsnmp_agent_request_info* info, netsnmp_request_info* requests) {
  const auto values = serving->snapshot();
  for (auto* request = requests; request; request = request->next) {
    if (request->processed) continue;
    auto* var = request->requestvb;
    const auto name = from_netsnmp(var->name, var->name_length);
    if (info->mode == MODE_GET) {
      const auto found = values->find(name);
      if (found == values->end()) {
        netsnmp_set_request_error(info, request, SNMP_NOSUCHINSTANCE);
      } else {
        set_value(var, found->second);
      }
    } else if (info->mode == MODE_GETNEXT) {
      // Nothing after it here: left unanswered, net-snmp walks on past us.
      const auto next = values->upper_bound(name);
      if (next == values->end()) continue;
      const auto id = to_netsnmp(next->first);
      snmp_set_var_objid(var, id.data(), id.size());
      set_value(var, next->second);
    }
  }
  return SNMP_ERR_NOERROR;
}

}  // namespace

void netsnmp_agent::state::run(std::promise<result<void>>& started) {
  netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
  netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, master.c_str());
  // No snmp.conf, no persistent state under /var/lib/snmp (the unit's file
  // system is read-only there): everything is set here.
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
  // A subagent needs no MIB file (it serves OIDs): no directory to search.
  netsnmp_set_mib_directory("");
  netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
  snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_to_spdlog, nullptr);
  serving = this;
  snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START, on_connected,
                         nullptr);
  snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP, on_disconnected,
                         nullptr);
  if (init_agent(app_name) != 0) {
    started.set_value(error(std::errc::io_error, "net-snmp's agent did not start (init_agent)"));
    snmp_shutdown(app_name);
    serving = nullptr;
    return;
  }
  // init_agent sets the AgentX defaults (a 15 s ping): ours after it.
  netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
                     ping_interval_s);
  auto* handler = netsnmp_create_handler("lbha", handle_request);
  const auto root = to_netsnmp(mib::lbha_mib);
  auto* registration = netsnmp_handler_registration_create("lbha", handler, root.data(),
                                                           root.size(), HANDLER_CAN_RONLY);
  // Registered before init_snmp connects: the subagent registers its
  // subtrees with the master at every (re)connection.
  if (netsnmp_register_handler(registration) != MIB_REGISTERED_OK) {
    started.set_value(error(std::errc::io_error, "net-snmp refused LBHA-MIB's registration"));
    snmp_shutdown(app_name);
    serving = nullptr;
    return;
  }
  // The MIB tree first, quietly; init_snmp finds it made and goes on to
  // connect to the master (logging that as it is).
  loading_mibs = true;
  netsnmp_init_mib();
  loading_mibs = false;
  init_snmp(app_name);
  register_readfd(wake_fd, on_wake, nullptr);
  started.set_value(success());

  while (!stopping) {
    agent_check_and_process(1);  // blocks until a request, an alarm or a wake-up
    send_traps();
  }
  unregister_readfd(wake_fd);
  // Closes the AgentX session and frees what init_agent registered (the
  // handler with it), as net-snmp's own subagent examples end.
  snmp_shutdown(app_name);
  serving = nullptr;
  connected = false;
}

void netsnmp_agent::state::send_traps() {
  std::deque<notification> due;
  {
    std::lock_guard lock(mutex);
    due.swap(traps);
  }
  for (const auto& trap : due) {
    if (!connected) {
      ++traps_dropped;
      continue;
    }
    netsnmp_variable_list* vars = nullptr;
    const auto trap_id = to_netsnmp(trap.trap);
    snmp_varlist_add_variable(&vars, snmp_trap_oid, std::size(snmp_trap_oid), ASN_OBJECT_ID,
                              trap_id.data(), trap_id.size() * sizeof(::oid));
    for (const auto& object : trap.objects) {
      const auto name = to_netsnmp(object.name);
      auto* var = snmp_varlist_add_variable(&vars, name.data(), name.size(), ASN_NULL, nullptr, 0);
      set_value(var, object.value);
    }
    send_v2trap(vars);
    snmp_free_varbind(vars);
    ++traps_sent;
  }
}

netsnmp_agent::netsnmp_agent(std::string master) : state_(std::make_unique<state>()) {
  state_->master = std::move(master);
}

netsnmp_agent::~netsnmp_agent() { stop(); }

result<void> netsnmp_agent::start() {
  if (agent_running.exchange(true)) {
    return error(std::errc::device_or_resource_busy,
                 "an SNMP agent already runs in this process (net-snmp is one per process)");
  }
  state_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (state_->wake_fd < 0) {
    agent_running = false;
    return error(std::error_code(errno, std::generic_category()), "eventfd");
  }
  std::promise<result<void>> started;
  auto ready = started.get_future();
  state_->thread = std::thread([this, &started] { state_->run(started); });
  auto r = ready.get();
  if (!r) {
    state_->thread.join();
    ::close(state_->wake_fd);
    state_->wake_fd = -1;
    agent_running = false;
  }
  return r;
}

void netsnmp_agent::stop() {
  if (!state_->thread.joinable()) return;
  state_->stopping = true;
  state_->wake();
  state_->thread.join();
  ::close(state_->wake_fd);
  state_->wake_fd = -1;
  agent_running = false;
}

void netsnmp_agent::publish(std::shared_ptr<const oid_map> values) {
  std::lock_guard lock(state_->mutex);
  state_->values = std::move(values);
}

void netsnmp_agent::notify(notification trap) {
  {
    std::lock_guard lock(state_->mutex);
    state_->traps.push_back(std::move(trap));
  }
  state_->wake();
}

agentx_counters netsnmp_agent::counters() const {
  return {state_->connected.load(), state_->traps_sent.load(), state_->traps_dropped.load()};
}

}  // namespace lbha::snmp
