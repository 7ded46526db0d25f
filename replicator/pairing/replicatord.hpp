// lbha-replicatord's entry point as a library function, so main.cpp is one line.
#pragma once

namespace lbha::pairing {

int replicatord_main(int argc, char** argv);

// lbha-receive-config: the forced command on the secondary. Reads one framed
// request on stdin, prints one reply line; exit status 0 only when applied.
int receive_config_main(int argc, char** argv);

}  // namespace lbha::pairing
