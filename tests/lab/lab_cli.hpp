// The `lbha-lab` command line (see README.md): up, down, show, address, exec, start,
// partition, loss, heal, link, cleanup. A lab made by `up` is "kept": it
// outlives the command, and later commands find it through the state file
// (default /tmp/lbha-lab/lab.yaml).
#pragma once

namespace lbha::lab {

int run_lab_cli(int argc, char** argv);

}  // namespace lbha::lab
