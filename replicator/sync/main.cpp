#include "replicator/sync/daemon_main.hpp"

int main(int argc, char** argv) { return lbha::sync::run_syncd(argc, argv); }
