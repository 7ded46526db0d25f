// lbha-webd's lbha.v1.Web.GetStatus over its socket in a run directory, for
// the tests that run lbha-webd whole (webd_daemon_test, the SNMP lab test).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "common/grpc_unix.hpp"
#include "lbha/v1/web.grpc.pb.h"

namespace lbha::web::test_doubles {

inline v1::WebStatus web_status(const std::filesystem::path& run_dir) {
  auto stub = v1::Web::NewStub(unix_channel(socket_path(run_dir, "webd")));
  auto context = context_with_deadline(std::chrono::seconds(5));
  v1::WebStatus status;
  EXPECT_TRUE(stub->GetStatus(context.get(), v1::WebStatusRequest{}, &status).ok());
  return status;
}

}  // namespace lbha::web::test_doubles
