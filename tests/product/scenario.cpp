#include "tests/product/scenario.hpp"

namespace lbha::lab {

scenario::scenario(product_lab& p, std::string name, scenario_options options)
    : product_(p), name_(std::move(name)), options_(options) {
  watch_ = std::make_unique<vip_watch>(p.lab(), std::vector<std::string>{"lb1", "lb2"}, p.vips());
  // Both clients talk to every VIP (so both have neighbour entries to audit);
  // their IIS_VIP probes are sticky.
  struct target {
    const char* label;
    std::string ip;
    std::uint16_t port;
    bool sticky;
  };
  std::vector<target> targets = {{"IIS_VIP", product_lab::iis_vip, product_lab::iis_port, true},
                                 {"DA_VIP", product_lab::da_vip, product_lab::da_port, false}};
  if (p.vips().size() > 2) {
    targets.push_back({"IIS6_VIP", product_lab::iis6_vip, product_lab::iis_port, true});
  }
  for (const char* client : {"client1", "client2"}) {
    for (const auto& t : targets) {
      probes_.push_back(std::make_unique<client_probe>(
          probe_options{.name = std::string(client) + " -> " + t.label,
                        .netns = p.lab().at(client).netns,
                        .ip = t.ip,
                        .port = t.port,
                        .sticky = t.sticky}));
    }
  }
}

scenario::~scenario() = default;

std::string scenario::sticky_server() const {
  const auto sequence = probes_.front()->server_sequence();
  return sequence.empty() ? std::string() : sequence.back();
}

audit_report scenario::finish() {
  for (auto& probe : probes_) probe->stop();
  watch_->stop();
  audit_input input{.scenario = name_,
                    .topology = &product_.lab(),
                    .lb_nodes = {"lb1", "lb2"},
                    .vips = product_.vips(),
                    .clients = {"client1", "client2"},
                    .lbctl =
                        [this](const std::string& node, const std::vector<std::string>& args) {
                          return product_.lbctl(node == "lb1" ? 1 : 2, args);
                        },
                    .daemons = product_.running_daemons(),
                    .probes = {},
                    .watch = watch_.get(),
                    .settle = options_.settle};
  for (const auto& probe : probes_) {
    input.probes.push_back({.probe = probe.get(), .budget = options_.outage_budget});
  }
  return audit(input);
}

}  // namespace lbha::lab
