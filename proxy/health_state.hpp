// The rise/fall health state of one real server. Pure: fed check results,
// says whether the server is up.
//
// Same model as HAProxy: a counter in [0, rise + fall - 1]; a pass moves it
// up, a failure down. A down server comes up after `rise` consecutive passes
// (the counter jumps to the top), an up server goes down after `fall`
// consecutive failures from the top (the counter drops to 0). A server that
// has just started is up but unconfirmed: its counter starts at `rise`, so the
// first failed check takes it down at once and traffic is not sent for
// `fall` intervals to a server that was never there.
#pragma once

#include <cstdint>

namespace lbha::proxy {

class health_state {
 public:
  health_state(std::uint32_t rise, std::uint32_t fall);

  // Records one check result; returns true when up() changed.
  bool record(bool passed);

  bool up() const { return up_; }
  std::uint32_t counter() const { return counter_; }

 private:
  std::uint32_t rise_;
  std::uint32_t fall_;
  std::uint32_t counter_;
  bool up_ = true;
};

}  // namespace lbha::proxy
