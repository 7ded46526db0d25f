// The WebUI in a browser (issue 18's proof): Debian's headless Chromium,
// driven over the DevTools protocol by tests/browser/webui.py, against the
// paired product lab with lbha-webd on both nodes as the package runs it.
//
// Each test runs one scenario of webui.py in a lab client's network namespace
// (client1, 192.0.2.31: it reaches the LB nodes and nothing outside the lab),
// which logs in with PAM, clicks what an operator clicks and reports what the
// page showed; the test compares that with lbctl on the nodes. Screenshots go
// to <build>/tests/product/screenshots/ (the paths are printed).
//
// One lab serves every scenario (SetUpTestSuite: the bring-up is most of the
// time), so each scenario leaves the pair as it found it (a drained server is
// put back online) or starts from what it finds (Make Active on whichever
// node is passive); the rate-limit scenario has its own user and client
// (client2), since its 30 s lock-out counts per user and per address.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/lab/wait.hpp"
#include "tests/product/lbctl_json.hpp"
#include "tests/product/product.hpp"
#include "tests/support/build_tree.hpp"
#include "tests/web/promtool.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;
using google::protobuf::Struct;
using google::protobuf::Value;

constexpr const char* chromium = "/usr/bin/chromium";
constexpr const char* python = "/usr/bin/python3";

std::filesystem::path screenshot_dir() {
  return test_support::build_root() / "tests/product/screenshots";
}

std::string why_unavailable() {
  if (auto why = why_lab_unavailable(); !why.empty()) return why;
  if (::access(chromium, X_OK) != 0)
    return std::string(chromium) + " is missing: scripts/install-deps installs Debian's chromium";
  if (::access(python, X_OK) != 0) return std::string(python) + " is missing";
  return "";
}

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") + 1 - first);
}

// --- what webui.py reports (one JSON object) -----------------------------------

const Value& field(const Struct& doc, const std::string& key) {
  static const Value none;
  const auto it = doc.fields().find(key);
  return it == doc.fields().end() ? none : it->second;
}

std::string text(const Struct& doc, const std::string& key) {
  return field(doc, key).string_value();
}

int number(const Struct& doc, const std::string& key) {
  return static_cast<int>(field(doc, key).number_value());
}

std::vector<Struct> objects(const Struct& doc, const std::string& key) {
  std::vector<Struct> out;
  for (const auto& v : field(doc, key).list_value().values()) out.push_back(v.struct_value());
  return out;
}

std::vector<std::string> strings(const Struct& doc, const std::string& key,
                                 const std::string& inner = "") {
  std::vector<std::string> out;
  for (const auto& v : field(doc, key).list_value().values()) {
    out.push_back(inner.empty() ? v.string_value() : text(v.struct_value(), inner));
  }
  return out;
}

struct browser_run {
  command_result process;
  Struct found;  // webui.py's report; empty when it printed none

  bool ok() const { return process.ok(); }
  std::string describe() const {
    return "webui.py: " + process.status.to_string() + (process.timed_out ? " (timed out)" : "") +
           "\nstderr:\n" + process.err + "\nstdout:\n" + process.out;
  }
};

// A scenario's own settings (string values).
Struct settings(std::initializer_list<std::pair<std::string, std::string>> values) {
  Struct out;
  for (const auto& [key, value] : values) (*out.mutable_fields())[key].set_string_value(value);
  return out;
}

// Runs webui.py's `scenario` in lab client `client` against node `node`'s
// WebUI, logged in as `user`; `extra` adds the scenario's own settings.
browser_run browse_on(product_lab& p, const std::string& scenario, int node,
                      const std::string& user, Struct extra = {}, int client = 1) {
  Struct settings = std::move(extra);
  auto& f = *settings.mutable_fields();
  f["base"].set_string_value("https://" + p.lb(node).ipv4 + ":" +
                             std::to_string(product_lab::web_port));
  if (f.count("certificate") == 0)
    f["certificate"].set_string_value(p.web_certificate(node).string());
  f["user"].set_string_value(user);
  f["password"].set_string_value(p.web_password(node, user));
  f["out"].set_string_value(screenshot_dir().string());
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(settings, &json).ok());

  const auto script = test_support::in_build_tree(LBHA_SOURCE_DIR) / "tests/browser/webui.py";
  browser_run run;
  run.process = p.lab().exec(p.lab().client(client).name, {python, script.string(), scenario},
                             {.timeout = 120s, .stdin_data = json});
  // The report is the last line of its output.
  const auto out = trimmed(run.process.out);
  const auto line =
      out.substr(out.find_last_of('\n') == std::string::npos ? 0 : out.find_last_of('\n') + 1);
  if (!google::protobuf::util::JsonStringToMessage(line, &run.found).ok()) run.found.Clear();
  std::cout << "webui.py " << scenario << " on lb" << node << " as " << user << ": "
            << run.process.status.to_string() << ", " << field(run.found, "seconds").number_value()
            << " s\n";
  for (const auto& shot : strings(run.found, "screenshots"))
    std::cout << "  screenshot " << shot << "\n";
  return run;
}

// --- lbctl's view ----------------------------------------------------------------

// The real server's state as proxyd on node i reports it (lbctl --json status).
v1::RealServerState state_on(const product_lab& p, int i, const std::string& service,
                             const std::string& server) {
  const auto status = proxy_of(p, i);
  for (const auto& s : status.virtual_services()) {
    if (s.label() != service) continue;
    for (const auto& r : s.real_servers()) {
      if (r.label() != server) continue;
      return r.state() == v1::REAL_SERVER_STATE_UNSPECIFIED ? v1::REAL_SERVER_STATE_ONLINE
                                                            : r.state();
    }
  }
  return v1::REAL_SERVER_STATE_UNSPECIFIED;  // not there
}

bool on_both(const product_lab& p, const std::string& service, const std::string& server,
             v1::RealServerState state) {
  return state_on(p, 1, service, server) == state && state_on(p, 2, service, server) == state;
}

// "ACTIVE", "PASSIVE": the words the page and lbctl use.
std::string role_word(v1::Role role) {
  auto name = v1::Role_Name(role);
  return name.rfind("ROLE_", 0) == 0 ? name.substr(5) : name;
}

class webui_browser : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!why_unavailable().empty()) return;
    try {
      product_ = std::make_unique<product_lab>(product_options{.web = true});
    } catch (const std::exception& e) {
      bring_up_error_ = e.what();
    }
    std::filesystem::create_directories(screenshot_dir());
  }

  static void TearDownTestSuite() { product_.reset(); }

  void SetUp() override {
    if (auto why = why_unavailable(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(product_) << "the product lab with lbha-webd did not come up: " << bring_up_error_;
  }

  void TearDown() override {
    if (!product_) return;
    for (int i = 1; i <= 2; ++i) {
      auto* webd = product_->daemon(i, product_lab::webd);
      EXPECT_TRUE(webd && webd->running()) << "lbha-webd on lb" << i << " is gone";
    }
    if (HasFailure()) {
      std::cerr << "==== logs of lab " << product_->lab().prefix() << "\n" << product_->logs();
    }
  }

  product_lab& p() { return *product_; }

  browser_run browse(const std::string& scenario, int node, const std::string& user,
                     Struct extra = {}, int client = 1) {
    return browse_on(p(), scenario, node, user, std::move(extra), client);
  }

  static std::unique_ptr<product_lab> product_;
  static std::string bring_up_error_;
};

std::unique_ptr<product_lab> webui_browser::product_;
std::string webui_browser::bring_up_error_;

// Puts a real server back online on the pair when a scenario that changed it ends.
class back_online {
 public:
  back_online(product_lab& p, std::string service, std::string server)
      : p_(p), service_(std::move(service)), server_(std::move(server)) {}
  ~back_online() {
    p_.lbctl(1, {"online", service_, server_});
    EXPECT_TRUE(wait_until(
        [&] { return on_both(p_, service_, server_, v1::REAL_SERVER_STATE_ONLINE); }, 10s))
        << service_ << "/" << server_ << " did not come back online";
  }

 private:
  product_lab& p_;
  std::string service_, server_;
};

// The admin logs in on lb1: the System Overview shows both seed VIPs and their
// four real servers green (as lbctl reports them up on the node), and the
// roles lbctl reports for this node and its peer.
TEST_F(webui_browser, overview_shows_the_seed_services_green_and_both_roles) {
  ASSERT_TRUE(wait_until([&] { return settled_owner(p()) != 0; }, 10s))
      << p().lbctl(1, {"ha", "status"}).out;
  Struct extra;
  auto* servers = (*extra.mutable_fields())["servers"].mutable_list_value();
  for (const char* s : {"IIS1", "IIS2", "DA1", "DA2"}) servers->add_values()->set_string_value(s);
  const auto run = browse("overview", 1, product_lab::web_admin, extra);
  ASSERT_TRUE(run.ok()) << run.describe();
  const auto& found = run.found;

  // The seed's services and servers, in the order lbctl status lists them.
  const auto status = proxy_of(p(), 1);
  std::vector<std::string> vip_labels, rip_labels;
  for (const auto& service : status.virtual_services()) {
    vip_labels.push_back(service.label());
    for (const auto& server : service.real_servers()) rip_labels.push_back(server.label());
  }
  EXPECT_EQ(strings(found, "services", "label"), vip_labels);
  EXPECT_EQ(strings(found, "rows", "label"), rip_labels);
  auto sorted = strings(found, "rows", "label");
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"DA1", "DA2", "IIS1", "IIS2"}));
  sorted = strings(found, "services", "label");
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"DA_VIP", "IIS_VIP"}));
  // Green: the state-up class, and the stylesheet's green (#e8f5e9) applied to the row.
  for (const auto& row : objects(found, "rows")) {
    EXPECT_NE(text(row, "classes").find("state-up"), std::string::npos) << text(row, "label");
    EXPECT_EQ(text(row, "state"), "up") << text(row, "label");
    EXPECT_EQ(strings(row, "buttons"), (std::vector<std::string>{"Drain", "Halt"}))
        << text(row, "label") << ": an admin may change it";
  }
  EXPECT_EQ(text(found, "colour"), "rgb(232, 245, 233)");
  // The same addresses and health as lbctl status on the node.
  std::map<std::string, std::string> shown;
  for (const auto& row : objects(found, "rows")) shown[text(row, "label")] = text(row, "ip");
  for (const auto& service : status.virtual_services()) {
    for (const auto& server : service.real_servers()) {
      EXPECT_EQ(shown[server.label()], server.ip()) << server.label();
      EXPECT_TRUE(server.healthy()) << server.label() << " is not up according to lbctl";
    }
  }
  EXPECT_EQ(strings(found, "roles"), (std::vector<std::string>{role_word(ha_of(p(), 1).role()),
                                                               role_word(ha_of(p(), 2).role())}));
  EXPECT_EQ(text(found, "user"), product_lab::web_admin);
  EXPECT_TRUE(std::filesystem::file_size(text(found, "screenshot")) > 10'000)
      << text(found, "screenshot") << ": too small for a rendered page";
}

// Drain on DA1's row: the page shows lbctl's words, then DA1 drained after the
// live update; lbctl on lb2 (the peer) shows it drained too: the change was
// committed and replicated, as `lbctl drain` would. A POST from the same page
// without the CSRF token (a forgery) is refused and changes nothing.
TEST_F(webui_browser, drain_button_drains_the_real_server_on_both_nodes) {
  ASSERT_TRUE(on_both(p(), "DA_VIP", "DA1", v1::REAL_SERVER_STATE_ONLINE));
  ASSERT_TRUE(on_both(p(), "DA_VIP", "DA2", v1::REAL_SERVER_STATE_ONLINE));
  back_online restore(p(), "DA_VIP", "DA1");

  const auto run =
      browse("drain", 1, product_lab::web_admin,
             settings({{"service", "DA_VIP"}, {"server", "DA1"}, {"untouched", "DA2"}}));
  ASSERT_TRUE(run.ok()) << run.describe();
  const auto& found = run.found;
  const auto forged = field(found, "forged").struct_value();
  EXPECT_EQ(number(forged, "status"), 403) << text(forged, "body");
  EXPECT_NE(text(forged, "body").find("CSRF"), std::string::npos) << text(forged, "body");
  EXPECT_NE(text(found, "notice").find("DA_VIP/DA1: drain now on this node"), std::string::npos)
      << text(found, "notice");

  EXPECT_TRUE(wait_until(
      [&] { return state_on(p(), 2, "DA_VIP", "DA1") == v1::REAL_SERVER_STATE_DRAIN; }, 10s))
      << "lb2 (the peer):\n"
      << p().lbctl(2, {"status"}).out;
  EXPECT_EQ(state_on(p(), 1, "DA_VIP", "DA1"), v1::REAL_SERVER_STATE_DRAIN)
      << p().lbctl(1, {"status"}).out;
  EXPECT_NE(p().lbctl(2, {"status"}).out.find("drain"), std::string::npos)
      << p().lbctl(2, {"status"}).out;
  // The forged halt of DA2 did nothing, on either node.
  EXPECT_TRUE(on_both(p(), "DA_VIP", "DA2", v1::REAL_SERVER_STATE_ONLINE))
      << p().lbctl(1, {"status"}).out;
}

// A member of lbha only: the overview without Drain/Halt/Online; a POST from
// the page without the token is refused (CSRF), and so is one with the
// session's own token (read only); nothing changes on either node.
TEST_F(webui_browser, read_only_user_has_no_buttons_and_cannot_post_a_change) {
  ASSERT_TRUE(on_both(p(), "DA_VIP", "DA2", v1::REAL_SERVER_STATE_ONLINE));
  const auto run = browse("read-only", 1, product_lab::web_viewer,
                          settings({{"service", "DA_VIP"}, {"server", "DA2"}}));
  ASSERT_TRUE(run.ok()) << run.describe();
  const auto& found = run.found;
  EXPECT_EQ(text(found, "user"), std::string(product_lab::web_viewer) + " (read only)");
  EXPECT_EQ(objects(found, "rows").size(), 4u);
  EXPECT_EQ(number(found, "buttons"), 0);
  EXPECT_EQ(number(found, "state_forms"), 0);

  const auto forged = field(found, "forged").struct_value();
  EXPECT_EQ(number(forged, "status"), 403) << text(forged, "body");
  EXPECT_NE(text(forged, "body").find("CSRF"), std::string::npos) << text(forged, "body");
  const auto with_token = field(found, "with_token").struct_value();
  EXPECT_EQ(number(with_token, "status"), 403) << text(with_token, "body");
  EXPECT_NE(text(with_token, "body").find("may look but not change"), std::string::npos)
      << text(with_token, "body");

  EXPECT_TRUE(on_both(p(), "DA_VIP", "DA2", v1::REAL_SERVER_STATE_ONLINE))
      << p().lbctl(1, {"status"}).out;
  for (const auto& row : objects(found, "rows_after")) {
    EXPECT_EQ(text(row, "state"), "up") << text(row, "label");
  }
}

// A wrong password: "wrong user name or password"; after five in a row the
// sixth attempt, with the right password, is told to wait; no session.
TEST_F(webui_browser, wrong_password_is_refused_and_then_rate_limited) {
  const std::string user = "webtrial";
  p().add_web_user(1, user, "lbha");
  Struct extra;
  (*extra.mutable_fields())["failures"].set_number_value(5);
  const auto run = browse("login-refused", 1, user, extra, /*client=*/2);
  ASSERT_TRUE(run.ok()) << run.describe();
  const auto& found = run.found;
  EXPECT_EQ(strings(found, "errors"), std::vector<std::string>(5, "wrong user name or password"));
  EXPECT_TRUE(
      std::regex_match(text(found, "after_limit"),
                       std::regex("too many failed log-ins: wait [0-9]+ s before trying again")))
      << text(found, "after_limit");
  EXPECT_TRUE(text(found, "url_after").ends_with("/lbadmin/login")) << text(found, "url_after");
}

// Log out: back to the log-in page, and the session is gone (the overview
// asks for a log-in, its JSON answers 401).
TEST_F(webui_browser, log_out_ends_the_session) {
  const auto run = browse("logout", 1, product_lab::web_admin);
  ASSERT_TRUE(run.ok()) << run.describe();
  EXPECT_TRUE(text(run.found, "url_after_logout").ends_with("/lbadmin/login"))
      << text(run.found, "url_after_logout");
  EXPECT_TRUE(text(run.found, "url_after").ends_with("/lbadmin/login"))
      << text(run.found, "url_after");
  EXPECT_EQ(number(run.found, "api_after"), 401);
}

// The browser trusts webd's certificate by its public key, given per node:
// lb2's WebUI with lb1's key is refused like any unknown certificate (the
// test does not simply ignore certificate errors).
TEST_F(webui_browser, the_browser_trusts_only_the_nodes_own_certificate) {
  Struct extra;
  (*extra.mutable_fields())["certificate"].set_string_value(p().web_certificate(1).string());
  const auto run = browse("untrusted-certificate", 2, product_lab::web_admin, extra);
  ASSERT_TRUE(run.ok()) << run.describe();
  EXPECT_NE(text(run.found, "error").find("ERR_CERT_AUTHORITY_INVALID"), std::string::npos)
      << "lb2's page opened with lb1's key: " << text(run.found, "url");
}

// /metrics on each node (127.0.0.1:9101, scraped inside the node) says what
// `lbctl --json status` says there: every daemon up, the node's role, proxyd's
// config generation, each real server's weight and its state; and promtool
// accepts the page as Prometheus' own parser would.
TEST_F(webui_browser, metrics_agree_with_lbctl_status_on_both_nodes) {
  for (int i = 1; i <= 2; ++i) {
    const auto& node = p().lb(i).name;
    std::string page;
    ASSERT_TRUE(wait_until(
        [&] {
          const auto scrape = p().lab().exec(
              node, {"curl", "-sS", "--max-time", "5", "http://127.0.0.1:9101/metrics"});
          page = scrape.out;
          return scrape.ok() &&
                 page.find("lbha_daemon_up{daemon=\"replicatord\"} 1") != std::string::npos;
        },
        10s))
        << node << ":\n"
        << page;
    const auto has = [&](const std::string& line) {
      return page.find("\n" + line + "\n") != std::string::npos;
    };
    for (const char* daemon : {"heartbeatd", "proxyd", "syncd", "replicatord"}) {
      EXPECT_TRUE(has("lbha_daemon_up{daemon=\"" + std::string(daemon) + "\"} 1")) << node;
    }
    const auto ha = ha_of(p(), i);
    auto role = role_word(ha.role());
    std::transform(role.begin(), role.end(), role.begin(), ::tolower);
    EXPECT_TRUE(has("lbha_ha_role{role=\"" + role + "\"} 1")) << node << " is " << role;
    const auto proxy = proxy_of(p(), i);
    ASSERT_EQ(proxy.virtual_services_size(), 2) << node;
    EXPECT_TRUE(has("lbha_daemon_config_generation{daemon=\"proxyd\"} " +
                    std::to_string(proxy.generation())))
        << node;
    for (const auto& service : proxy.virtual_services()) {
      for (const auto& server : service.real_servers()) {
        const std::string labels =
            "proxy=\"" + service.label() + "\",server=\"" + server.label() + "\"";
        EXPECT_TRUE(has("lbha_server_weight{" + labels + "} " + std::to_string(server.weight())))
            << node << " " << labels;
        const bool online = server.state() == v1::REAL_SERVER_STATE_ONLINE ||
                            server.state() == v1::REAL_SERVER_STATE_UNSPECIFIED;
        if (online) {
          const char* state = server.healthy() ? "up" : "down";
          EXPECT_TRUE(has("lbha_server_status{" + labels + ",state=\"" + state + "\"} 1"))
              << node << " " << labels << " " << state;
        }
      }
    }
    if (const auto checked = web::test_doubles::promtool_check(page)) {
      EXPECT_EQ(checked->status, 0) << node << ": promtool: " << checked->output;
    }
  }
}

// A real server added with the form on the primary (lb1): no Commit before a
// Preview, the Preview is lbctl's diff, Commit commits and replicates it (lb2's
// proxyd has it); then deleted with the form the same way, gone on both.
TEST_F(webui_browser, add_and_delete_a_real_server_with_preview_then_commit) {
  const std::string ip = p().lab().server(2).ipv4;
  Struct extra = settings({{"service", "DA_VIP"}});
  auto& fields = *(*extra.mutable_fields())["fields"].mutable_struct_value()->mutable_fields();
  fields["label"].set_string_value("DA3");
  fields["ip"].set_string_value(ip);
  fields["weight"].set_string_value("50");
  const auto added = browse("add-rip", 1, product_lab::web_admin, extra);
  ASSERT_TRUE(added.ok()) << added.describe();
  EXPECT_FALSE(field(added.found, "commit_before_preview").bool_value());
  EXPECT_NE(text(added.found, "diff").find("real server DA3: ip " + ip + ", weight 50"),
            std::string::npos)
      << text(added.found, "diff");
  EXPECT_NE(text(added.found, "committed").find("committed generation"), std::string::npos)
      << text(added.found, "committed");
  EXPECT_EQ(strings(added.found, "listed"), (std::vector<std::string>{"DA1", "DA2", "DA3"}));
  EXPECT_TRUE(wait_until(
      [&] { return state_on(p(), 2, "DA_VIP", "DA3") != v1::REAL_SERVER_STATE_UNSPECIFIED; }, 10s))
      << "DA3 is not on lb2 (the peer)";

  const auto deleted = browse("delete-rip", 1, product_lab::web_admin,
                              settings({{"service", "DA_VIP"}, {"server", "DA3"}}));
  ASSERT_TRUE(deleted.ok()) << deleted.describe();
  EXPECT_NE(text(deleted.found, "diff").find("real server DA3"), std::string::npos)
      << text(deleted.found, "diff");
  EXPECT_EQ(strings(deleted.found, "listed"), (std::vector<std::string>{"DA1", "DA2"}));
  for (int i = 1; i <= 2; ++i) {
    EXPECT_TRUE(wait_until(
        [&] { return state_on(p(), i, "DA_VIP", "DA3") == v1::REAL_SERVER_STATE_UNSPECIFIED; },
        10s))
        << "DA3 is still on lb" << i;
  }
}

// Every page of the top bar as a read-only user sees it, each screenshotted:
// the services lists, the HA status, the committed cluster.yaml, the history
// and a daemon's log page (the lab has no journal: the page says so).
TEST_F(webui_browser, every_page_renders_for_a_read_only_user) {
  const auto run = browse("tour", 2, product_lab::web_viewer);
  ASSERT_TRUE(run.ok()) << run.describe();
  const auto pages = field(run.found, "pages").struct_value();
  const std::map<std::string, std::string> titles = {{"services", "Virtual Services"},
                                                     {"ha", "High Availability"},
                                                     {"config", "View Configuration"},
                                                     {"history", "History"},
                                                     {"logs", "Logs"}};
  for (const auto& [name, title] : titles) {
    const auto page = field(pages, name).struct_value();
    EXPECT_EQ(text(page, "title"), title) << name;
    EXPECT_TRUE(field(page, "shows").bool_value()) << name << ": " << text(page, "text");
  }
  const auto config = text(field(pages, "config").struct_value(), "text");
  EXPECT_NE(config.find("DA_VIP"), std::string::npos) << config;
  const auto ha = text(field(pages, "ha").struct_value(), "text");
  EXPECT_NE(ha.find("role:"), std::string::npos) << ha;
  EXPECT_EQ(strings(run.found, "screenshots").size(), 5u);
}

// --- the change pages: services forms and HA buttons --------------------------

// Add a real server with a bad weight: the page shows the error lbctl itself
// prints for the same command, and nothing is added.
TEST_F(webui_browser, add_real_server_with_a_bad_weight_shows_lbctls_error) {
  const std::string ip = p().lab().server(1).ipv4;
  const auto by_lbctl = p().lbctl(
      1, {"rip", "add", "DA_VIP", "DA3", "--ip", ip, "--port", "9002", "--weight", "abc"});
  ASSERT_FALSE(by_lbctl.ok()) << "lbctl accepted weight abc: " << by_lbctl.out;
  ASSERT_FALSE(trimmed(by_lbctl.err).empty());

  Struct extra = settings({{"service", "DA_VIP"}});
  auto& fields = *(*extra.mutable_fields())["fields"].mutable_struct_value()->mutable_fields();
  fields["label"].set_string_value("DA3");
  fields["ip"].set_string_value(ip);
  fields["port"].set_string_value("9002");
  fields["weight"].set_string_value("abc");
  const auto run = browse("add-rip-bad-weight", 1, product_lab::web_admin, extra);
  ASSERT_TRUE(run.ok()) << run.describe();
  EXPECT_EQ(trimmed(text(run.found, "output")), trimmed(by_lbctl.err))
      << "refused at " << text(run.found, "refused_at");
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(state_on(p(), i, "DA_VIP", "DA3"), v1::REAL_SERVER_STATE_UNSPECIFIED)
        << "DA3 was added on lb" << i;
  }
}

// Make Active on the passive node's HA page, confirmed: lbctl on both nodes
// then shows the roles swapped, and the VIPs moved to it.
TEST_F(webui_browser, make_active_on_the_passive_node_swaps_the_roles) {
  int active = 0;
  ASSERT_TRUE(wait_until([&] { return (active = settled_owner(p())) != 0; }, 10s))
      << p().lbctl(1, {"ha", "status"}).out << p().lbctl(2, {"ha", "status"}).out;
  const int passive = 3 - active;
  ASSERT_EQ(p().wait_for_single_owner(5s), active);

  const auto run = browse("make-active", passive, product_lab::web_admin);
  ASSERT_TRUE(run.ok()) << run.describe();
  EXPECT_EQ(text(run.found, "output_class"), "ok") << text(run.found, "output");

  EXPECT_TRUE(wait_until([&] { return settled_owner(p()) == passive; }, 5s))
      << p().lbctl(1, {"ha", "status"}).out << p().lbctl(2, {"ha", "status"}).out;
  EXPECT_EQ(role_word(ha_of(p(), passive).role()), "ACTIVE");
  EXPECT_EQ(role_word(ha_of(p(), active).role()), "PASSIVE");
  EXPECT_EQ(p().wait_for_single_owner(5s), passive);
  // A planned handover: the new active node took over on the peer's release
  // heartbeat, well inside the deadtime (1 s) a failover would have taken.
  const auto ha = ha_of(p(), passive);
  ASSERT_TRUE(ha.has_last_takeover()) << ha.DebugString();
  EXPECT_LT(ha.last_takeover().outage_ms(), 1000u);
}

// Pairing from the browser, on a lab of its own whose nodes run every daemon
// but are not paired: lb1's HA page reads lb2's host key through
// replicatord (the same fingerprint `ssh-keygen -lf` gives on lb2), then
// pairs with lb2's login password (handed to lbctl in a memfd), locking it;
// both nodes then say they are paired, and the HA buttons appear.
TEST(webui_browser_pairing, an_unpaired_node_pairs_its_peer_from_the_ha_page) {
  if (auto why = why_unavailable(); !why.empty()) GTEST_SKIP() << why;
  std::filesystem::create_directories(screenshot_dir());
  product_lab p({.configure = false, .web = true});
  for (int i = 1; i <= 2; ++i) p.start_daemons(i);
  const auto run = browse_on(p, "pair", 1, product_lab::web_admin,
                             settings({{"peer", p.lb(2).ipv4}, {"peer_password", p.password(2)}}));
  ASSERT_TRUE(run.ok()) << run.describe();
  EXPECT_EQ(text(run.found, "fingerprint"), p.host_fingerprint(2)) << text(run.found, "shown");
  EXPECT_EQ(text(run.found, "output_class"), "ok") << text(run.found, "output");
  EXPECT_TRUE(field(run.found, "buttons_after").bool_value());
  for (int i = 1; i <= 2; ++i) {
    const auto status = p.lbctl(i, {"replication", "status"});
    EXPECT_NE(status.out.find("role:"), std::string::npos) << "lb" << i << ": " << status.out;
    EXPECT_EQ(status.out.find("paired:            no"), std::string::npos)
        << "lb" << i << ": " << status.out;
  }
  const auto shadow = p.lab().exec_checked("lb2", {"getent", "shadow", "loadbalancer"}).out;
  EXPECT_NE(shadow.find(":!"), std::string::npos) << "the password was not locked: " << shadow;
}

}  // namespace
}  // namespace lbha::lab
