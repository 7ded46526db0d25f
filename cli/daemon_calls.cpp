#include "cli/daemon_calls.hpp"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace lbha::cli {

std::string rpc_failure(const cli_context& context, std::string_view daemon,
                        const grpc::Status& status) {
  const std::string name = "lbha-" + std::string(daemon);
  std::string why = status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                        ? "timed out"
                        : status.error_message();
  return name + " did not answer on " + socket_path(context.run_dir, daemon).string() + ": " + why +
         "; is it running? (systemctl status " + name + ")";
}

bool rpc_ok(cli_context& context, std::string_view daemon, const grpc::Status& status) {
  if (status.ok()) return true;
  const auto code = status.error_code();
  if (code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED) {
    *context.err << "lbctl: " << rpc_failure(context, daemon, status) << "\n";
    context.exit_code = exit_code::unreachable;
  } else if (code == grpc::StatusCode::PERMISSION_DENIED) {
    // The socket let us in but this method needs more (common/grpc_access.hpp);
    // the message names the group.
    *context.err << "lbctl: lbha-" << daemon
                 << " refused: permission denied: " << status.error_message() << "\n";
    context.exit_code = exit_code::failed;
  } else {
    // It answered, with an error (e.g. an older daemon without this RPC).
    *context.err << "lbctl: lbha-" << daemon << " refused: " << status.error_message() << " ("
                 << socket_path(context.run_dir, daemon).string() << ")\n";
    context.exit_code = exit_code::failed;
  }
  return false;
}

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) {
    // Only a message with invalid UTF-8 strings fails; a broken invariant here.
    std::abort();
  }
  return text;
}

bool use_color(const cli_context& context) {
  if (context.out != &std::cout || ::isatty(STDOUT_FILENO) != 1) return false;
  if (std::getenv("NO_COLOR") != nullptr) return false;
  const char* term = std::getenv("TERM");
  return term != nullptr && std::strcmp(term, "dumb") != 0;
}

}  // namespace lbha::cli
