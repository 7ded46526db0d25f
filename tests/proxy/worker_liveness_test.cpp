// The watchdog's view of the data plane: a worker answers the beat the
// control thread asks for from its own loop, so a wedged loop stops
// engine::alive() (and with it proxyd's WATCHDOG=1) until it runs again.
#include <future>

#include "tests/proxy/engine_fixture.hpp"

namespace lbha::proxy::test_support {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(2ms);
  return done();
}

TEST(worker_liveness, a_wedged_loop_leaves_the_beat_unanswered_until_it_runs_again) {
  worker w(data_plane_context{});
  w.start();
  EXPECT_TRUE(w.beat_answered()) << "nothing asked yet";
  w.ask_beat();
  EXPECT_TRUE(eventually([&] { return w.beat_answered(); }));

  std::promise<void> release;
  auto released = release.get_future().share();
  w.loop().post([released] { released.wait(); });  // the loop is stuck in this handler
  w.ask_beat();                                     // queued behind it
  EXPECT_FALSE(w.beat_answered());
  release.set_value();
  EXPECT_TRUE(eventually([&] { return w.beat_answered(); }));
  w.stop();
}

class engine_liveness_test : public engine_test {};

TEST_F(engine_liveness_test, alive_asks_every_worker_and_is_true_before_start_and_after_stop) {
  backend rs("rs1");
  v1::ClusterConfig config;
  config.set_generation(1);
  *config.add_virtual_services() = service("web", {&rs});
  engine_ = std::make_unique<engine>(control_, clock_, engine_options{2, 1000, "", {}});
  EXPECT_TRUE(engine_->alive()) << "not started";
  ASSERT_TRUE(engine_->start(config));
  EXPECT_TRUE(engine_->alive()) << "nothing asked yet; asks now";
  EXPECT_TRUE(eventually([&] { return engine_->alive(); })) << "idle workers answer";
  engine_->stop();
  EXPECT_TRUE(engine_->alive()) << "stopped";
}

}  // namespace
}  // namespace lbha::proxy::test_support
