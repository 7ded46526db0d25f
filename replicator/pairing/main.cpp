#include "replicator/pairing/replicatord.hpp"

int main(int argc, char** argv) { return lbha::pairing::replicatord_main(argc, argv); }
