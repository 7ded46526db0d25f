// Transparent services on loopback: the real server sees the client's own
// address. 127.0.0.2 is local, so no policy routing is needed here; a
// non-transparent connection would come from 127.0.0.1 instead. The engine
// is started from a thread whose capabilities the test sets, since worker
// threads inherit their creator's.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/proxy/engine_fixture.hpp"

namespace lbha::proxy::test_support {
namespace {

// The calling thread's CAP_NET_RAW and CAP_NET_ADMIN: out of the effective
// set, and with `keep_permitted` false out of the permitted set too.
bool drop_transparent_capabilities(bool keep_permitted) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (int cap : {CAP_NET_RAW, CAP_NET_ADMIN}) {
    data[cap / 32].effective &= ~(1u << (cap % 32));
    if (!keep_permitted) {
      data[cap / 32].permitted &= ~(1u << (cap % 32));
      data[cap / 32].inheritable &= ~(1u << (cap % 32));
    }
  }
  return ::syscall(SYS_capset, &header, data) == 0;
}

bool permitted(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  return data[cap / 32].permitted & (1u << (cap % 32));
}

class transparent_test : public engine_test {
 protected:
  v1::VirtualService transparent_service(backend& b) {
    auto vs = service("T", {&b});
    vs.set_transparent(true);
    return vs;
  }

  // Starts the engine from a thread holding `caps` of NET_RAW / NET_ADMIN.
  void start_from_thread(const v1::VirtualService& vs, bool keep_permitted) {
    std::thread starter([&] {
      ASSERT_TRUE(drop_transparent_capabilities(keep_permitted));
      start(vs);
    });
    starter.join();
  }

  std::uint64_t failures() {
    auto status = engine_->status();
    return status.virtual_services(0).transparent_failures();
  }
};

TEST_F(transparent_test, the_real_server_sees_the_clients_address) {
  if (!permitted(CAP_NET_RAW)) GTEST_SKIP() << "needs CAP_NET_RAW (run as root)";
  backend a("a");
  start(transparent_service(a));
  client c(port_.port(), "127.0.0.2");
  EXPECT_EQ(c.read_line(), "a");
  EXPECT_EQ(a.last_peer(), "127.0.0.2");
  // Both ways: what the client sends comes back through the server's echo.
  c.send("ping\n");
  EXPECT_EQ(c.read_line(), "ping");
  EXPECT_EQ(failures(), 0u);
}

TEST_F(transparent_test, a_plain_service_connects_from_the_proxys_own_address) {
  backend a("a");
  start(service("P", {&a}));
  client c(port_.port(), "127.0.0.2");
  EXPECT_EQ(c.read_line(), "a");
  EXPECT_EQ(a.last_peer(), "127.0.0.1");
}

TEST_F(transparent_test, workers_raise_a_permitted_cap_net_raw_just_for_the_socket) {
  if (!permitted(CAP_NET_RAW)) GTEST_SKIP() << "needs CAP_NET_RAW (run as root)";
  backend a("a");
  // As under --user: the workers hold CAP_NET_RAW permitted, not effective.
  start_from_thread(transparent_service(a), true);
  client c(port_.port(), "127.0.0.2");
  EXPECT_EQ(c.read_line(), "a");
  EXPECT_EQ(a.last_peer(), "127.0.0.2");
  EXPECT_EQ(failures(), 0u);
}

TEST_F(transparent_test, without_cap_net_raw_the_client_is_closed_and_counted_not_relayed) {
  backend a("a");
  start_from_thread(transparent_service(a), false);
  for (int i = 0; i < 3; ++i) {
    client c(port_.port(), "127.0.0.2", 2s);
    EXPECT_TRUE(c.closed_by_peer());
  }
  EXPECT_EQ(failures(), 3u);
  EXPECT_EQ(a.accepted(), 0) << "no SNAT fallback";
}

}  // namespace
}  // namespace lbha::proxy::test_support
