// lbctl vip add|modify|delete|list: virtual services, the seed's section 7.3
// command by command. Each change edits the current cluster.yaml
// (config_edit.cpp) and commits it through the primary (config_commit.cpp),
// so it is on both nodes when the command returns.
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_commit.hpp"
#include "cli/config_edit.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/edit_options.hpp"
#include "cli/transparent_routing.hpp"

namespace lbha::cli {

namespace {

// A transparent service works only with the node's policy routing: say so
// when it is missing (the commit stands; the routing is the operator's to add).
void warn_about_routing(const std::optional<v1::VirtualService>& service, cli_context& context) {
  if (!service || !service->transparent() || context.exit_code != exit_code::ok) return;
  v1::ClusterConfig only;
  *only.add_virtual_services() = *service;
  for (const auto& warning : transparent_routing_warnings(only, run_ip)) {
    *context.err << "lbctl: warning: " << warning << "\n";
  }
}

// The service as the edit left it (before the commit's defaults).
std::optional<v1::VirtualService> edited(const v1::ClusterConfig& config,
                                         const std::string& label) {
  for (const auto& service : config.virtual_services()) {
    if (service.label() == label) return service;
  }
  return std::nullopt;
}

struct vip_command {
  std::string label;
  bool dry_run = false;
  edit_options fields;
};

}  // namespace

void add_vip_commands(CLI::App& app, cli_context& context) {
  auto* group = app.add_subcommand("vip", "virtual services: add, modify, delete, list");
  group->require_subcommand(1);
  group->footer(
      "Examples:\n"
      "  lbctl vip add IIS_VIP --ip 192.0.2.100 --ports 443 --persistence source_ip --check "
      "connect\n"
      "  lbctl vip list");

  auto add = std::make_shared<vip_command>();
  auto* add_cmd = group->add_subcommand("add", "add a virtual service and commit it");
  add_cmd->add_option("LABEL", add->label, "the new service's label")->required();
  add->fields.add_to(*add_cmd, vip_field_names(), vip_field_help());
  add_cmd->add_flag("--dry-run", add->dry_run, "validate only; commit nothing");
  add_cmd->footer(
      "--ip and --ports are required; the rest default as in cluster.yaml (lbctl config show).\n"
      "Examples:\n"
      "  lbctl vip add IIS_VIP --ip 192.0.2.100 --ports 443 --persistence source_ip --check "
      "connect\n"
      "  lbctl vip add DA_VIP --ip 192.0.2.101 --ports 9001 --persistence none "
      "--client-timeout 5m --server-timeout 5m");
  add_cmd->callback([add, &context] {
    std::optional<v1::VirtualService> service;
    edit_and_commit(context, add->dry_run, [&](v1::ClusterConfig& config) {
      auto error = add_vip(config, add->label, add->fields.given());
      service = edited(config, add->label);
      return error;
    });
    warn_about_routing(service, context);
  });

  auto modify = std::make_shared<vip_command>();
  auto* modify_cmd =
      group->add_subcommand("modify", "change some settings of a virtual service and commit");
  modify_cmd->add_option("LABEL", modify->label, "the service's label")->required();
  modify->fields.add_to(*modify_cmd, vip_field_names(), vip_field_help());
  modify_cmd->add_flag("--dry-run", modify->dry_run, "validate only; commit nothing");
  modify_cmd->footer(
      "Only the options given change.\nExample:\n"
      "  lbctl vip modify DA_VIP --client-timeout 10m --server-timeout 10m");
  modify_cmd->callback([modify, &context] {
    std::optional<v1::VirtualService> service;
    edit_and_commit(context, modify->dry_run, [&](v1::ClusterConfig& config) {
      auto error = modify_vip(config, modify->label, modify->fields.given());
      service = edited(config, modify->label);
      return error;
    });
    warn_about_routing(service, context);
  });

  auto remove = std::make_shared<vip_command>();
  auto* delete_cmd =
      group->add_subcommand("delete", "delete a virtual service (and its real servers)");
  delete_cmd->add_option("LABEL", remove->label, "the service's label")->required();
  delete_cmd->add_flag("--dry-run", remove->dry_run, "validate only; commit nothing");
  delete_cmd->footer("Example:\n  lbctl vip delete DA_VIP");
  delete_cmd->callback([remove, &context] {
    edit_and_commit(context, remove->dry_run,
                    [&](v1::ClusterConfig& config) { return delete_vip(config, remove->label); });
  });

  auto* list = group->add_subcommand("list", "list the committed virtual services");
  list->footer(
      "Reads <config-dir>/cluster.yaml; live health is in lbctl status.\n"
      "Example:\n  lbctl vip list\n  lbctl --json vip list");
  list->callback([&context] {
    auto config = load_current_config(context);
    if (!config) return;
    context.exit_code = exit_code::ok;
    *context.out << (context.json ? to_json(*config) : render_vip_list(*config));
  });
}

}  // namespace lbha::cli
