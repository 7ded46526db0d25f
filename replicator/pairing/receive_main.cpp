#include "replicator/pairing/replicatord.hpp"

int main(int argc, char** argv) { return lbha::pairing::receive_config_main(argc, argv); }
