// lbctl rip add|modify|delete|list VIP_LABEL: real servers of a virtual
// service, the seed's section 7.4 command by command. Changes are committed
// through the primary like vip changes (config_commit.cpp).
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_commit.hpp"
#include "cli/config_edit.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/edit_options.hpp"

namespace lbha::cli {

namespace {

struct rip_command {
  std::string vip;
  std::string label;
  bool dry_run = false;
  edit_options fields;
};

CLI::App* add_rip_subcommand(CLI::App& group, const char* name, const char* description,
                             rip_command& command, bool with_fields, const std::string& footer) {
  auto* sub = group.add_subcommand(name, description);
  sub->add_option("VIP_LABEL", command.vip, "the virtual service")->required();
  sub->add_option("RIP_LABEL", command.label, "the real server")->required();
  if (with_fields) command.fields.add_to(*sub, rip_field_names(), rip_field_help());
  sub->add_flag("--dry-run", command.dry_run, "validate only; commit nothing");
  sub->footer(footer);
  return sub;
}

}  // namespace

void add_rip_commands(CLI::App& app, cli_context& context) {
  auto* group = app.add_subcommand("rip", "real servers of a virtual service");
  group->require_subcommand(1);
  group->footer(
      "Examples:\n  lbctl rip add IIS_VIP IIS1 --ip 192.0.2.21 --weight 100\n"
      "  lbctl rip list IIS_VIP");

  auto add = std::make_shared<rip_command>();
  add_rip_subcommand(*group, "add", "add a real server to a virtual service and commit", *add, true,
                     "--ip is required.\nExamples:\n"
                     "  lbctl rip add IIS_VIP IIS1 --ip 192.0.2.21 --weight 100\n"
                     "  lbctl rip add DA_VIP DA1 --ip 192.0.2.31 --port 9001")
      ->callback([add, &context] {
        edit_and_commit(context, add->dry_run, [&](v1::ClusterConfig& config) {
          return add_rip(config, add->vip, add->label, add->fields.given());
        });
      });

  auto modify = std::make_shared<rip_command>();
  add_rip_subcommand(*group, "modify",
                     "change a real server's address, port, weight or backup role", *modify, true,
                     "Only the options given change. Use drain/halt/online for its state.\n"
                     "Example:\n  lbctl rip modify IIS_VIP IIS2 --weight 50")
      ->callback([modify, &context] {
        edit_and_commit(context, modify->dry_run, [&](v1::ClusterConfig& config) {
          return modify_rip(config, modify->vip, modify->label, modify->fields.given());
        });
      });

  auto remove = std::make_shared<rip_command>();
  add_rip_subcommand(*group, "delete", "delete a real server", *remove, false,
                     "Example:\n  lbctl rip delete IIS_VIP IIS2")
      ->callback([remove, &context] {
        edit_and_commit(context, remove->dry_run, [&](v1::ClusterConfig& config) {
          return delete_rip(config, remove->vip, remove->label);
        });
      });

  auto vip = std::make_shared<std::string>();
  auto* list = group->add_subcommand("list", "list a virtual service's committed real servers");
  list->add_option("VIP_LABEL", *vip, "the virtual service")->required();
  list->footer("Example:\n  lbctl rip list IIS_VIP\n  lbctl --json rip list IIS_VIP");
  list->callback([vip, &context] {
    auto config = load_current_config(context);
    if (!config) return;
    auto* service = find_vip(*config, *vip);
    if (!service) {
      *context.err << "lbctl: " << unknown_vip(*config, *vip) << "\n";
      context.exit_code = exit_code::failed;
      return;
    }
    context.exit_code = exit_code::ok;
    *context.out << (context.json ? to_json(*service) : render_rip_list(*service));
  });
}

}  // namespace lbha::cli
