// lbha-syncd: persistence-table sync. Everything lives in lbha_sync.
#include "replicator/sync/daemon_main.hpp"

int main(int argc, char** argv) { return lbha::run_daemon_main(lbha::sync::syncd_spec(), argc, argv); }
