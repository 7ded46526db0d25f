// lbha-replicatord: pairing and config replication. Everything lives in lbha_pairing.
#include "replicator/pairing/replicatord.hpp"

int main(int argc, char** argv) {
  return lbha::run_daemon_main(lbha::pairing::replicatord_spec(), argc, argv);
}
