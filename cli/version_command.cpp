#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace lbha::cli {

void add_version_command(CLI::App& app, cli_context& context) {
  auto* version = app.add_subcommand("version", "print lbctl's version");
  version->footer("Example:\n  lbctl version");
  version->callback([&context] {
    if (context.json) {
      *context.out << "{\"version\": " << json_string(LBHA_VERSION) << "}\n";
    } else {
      *context.out << "lbctl " << LBHA_VERSION << "\n";
    }
    context.exit_code = exit_code::ok;
  });
}

}  // namespace lbha::cli
