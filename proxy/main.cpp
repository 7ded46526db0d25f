// lbha-proxyd: the data plane. Everything lives in lbha_proxy.
#include "proxy/daemon.hpp"

int main(int argc, char** argv) { return lbha::run_daemon_main(lbha::proxy::proxyd_spec(), argc, argv); }
