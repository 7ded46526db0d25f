// lbha-ha-call --run-dir DIR make-active [--force] | make-passive | status
//
// A minimal lbha.v1.Ha client for bench/failover (lbctl's `make-active` does
// the same for operators). Exit 0 when the call succeeded and reported ok.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"

int main(int argc, char** argv) {
  CLI::App app{"lbha-ha-call: call lbha.v1.Ha on a heartbeatd socket"};
  std::string run_dir = "/run/lbha";
  bool force = false;
  app.add_option("--run-dir", run_dir, "heartbeatd's run dir")->capture_default_str();
  auto* active = app.add_subcommand("make-active", "coordinated switch-over to this node");
  active->add_flag("--force", force, "take over even if the peer cannot be asked");
  auto* passive = app.add_subcommand("make-passive", "hand over to the peer");
  auto* status = app.add_subcommand("status", "print the status");
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);

  auto stub = lbha::v1::Ha::NewStub(lbha::unix_channel(lbha::socket_path(run_dir, "heartbeatd")));
  auto ctx = lbha::context_with_deadline(std::chrono::seconds(10));
  lbha::v1::HaResult result;
  grpc::Status st;
  if (*status) {
    lbha::v1::HaStatus s;
    st = stub->GetStatus(ctx.get(), {}, &s);
    if (st.ok()) std::cout << s.DebugString();
    return st.ok() ? 0 : 1;
  }
  if (*active) {
    lbha::v1::MakeActiveRequest req;
    req.set_force(force);
    st = stub->MakeActive(ctx.get(), req, &result);
  } else if (*passive) {
    st = stub->MakePassive(ctx.get(), {}, &result);
  }
  if (!st.ok()) {
    std::cerr << "lbha-ha-call: " << st.error_message() << "\n";
    return 1;
  }
  std::cout << result.message() << "\n";
  return result.ok() ? 0 : 1;
}
