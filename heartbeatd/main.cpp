// lbha-heartbeatd: the HA role daemon. Everything lives in lbha_heartbeat.
#include "heartbeatd/component.hpp"

int main(int argc, char** argv) {
  return lbha::run_daemon_main(lbha::heartbeat::heartbeatd_spec(), argc, argv);
}
