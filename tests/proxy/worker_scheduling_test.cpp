// The data-plane threads' scheduling policy, read back from /proc.
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/proxy/engine_fixture.hpp"

namespace lbha::proxy::test_support {
namespace {

// How many of this process's threads run under `policy`.
int threads_under(int policy) {
  int n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string line;
    std::getline(in, line);
    // After "pid (comm) " come the fields from `state` (3) on; `policy` is 41.
    std::istringstream fields(line.substr(line.rfind(") ") + 2));
    std::string field;
    for (int i = 3; i <= 41 && fields >> field; ++i) {
      if (i == 41 && std::stoi(field) == policy) ++n;
    }
  }
  return n;
}

class worker_scheduling_test : public engine_test {
 protected:
  void start_with(worker_scheduling scheduling) {
    backend rs("rs1");
    v1::ClusterConfig config;
    config.set_generation(1);
    *config.add_virtual_services() = service("web", {&rs});
    engine_ = std::make_unique<engine>(control_, clock_,
                                       engine_options{3, 1000, "", scheduling});
    auto started = engine_->start(config);
    ASSERT_TRUE(started) << started.error();
  }
};

TEST_F(worker_scheduling_test, batch_puts_every_worker_and_nothing_else_under_sched_batch) {
  ASSERT_EQ(threads_under(SCHED_BATCH), 0);
  start_with(worker_scheduling::batch);
  // Each worker switches as its thread starts, before it runs any work, and
  // start() has run work on every worker (opening its listeners).
  EXPECT_EQ(threads_under(SCHED_BATCH), 3);
  EXPECT_EQ(::sched_getscheduler(0), SCHED_OTHER) << "the starting thread is left alone";
  engine_->stop();
  EXPECT_EQ(threads_under(SCHED_BATCH), 0) << "the workers are gone";
}

TEST_F(worker_scheduling_test, normal_leaves_the_workers_alone) {
  start_with(worker_scheduling::normal);
  EXPECT_EQ(threads_under(SCHED_BATCH), 0);
}

}  // namespace
}  // namespace lbha::proxy::test_support
