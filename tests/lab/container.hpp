// LB nodes as containers: the node's own /etc, /home, /var/lib/lbha and /run
// at their default paths, its own hostname and its own PID namespace.
//
// A lab made with `lab_options::containers` runs `lbha-lab-container` (see
// container_init_main.cpp) in each LB node's network namespace. It
// bind-mounts the node's root dir (<lab dir>/nodes/<node>/root) over the
// default paths, so daemons and lbctl run there without --node-config,
// --state-dir or --run-dir, exactly as on a real machine, and two nodes never
// see each other's files. lab::exec and lab::start enter the container's
// namespaces (spawn_request::container); the test process reaches the files
// from outside through node::etc_dir(), state_dir(), run_dir() and root_dir().
//
//   root/etc            a copy of the host's /etc made at the first boot
//                       (its /etc/lbha emptied): users, groups, sshd's config
//                       and keys are the node's own and survive reboots
//   root/home           /home (the replication login user's home)
//   root/var/lib/lbha   /var/lib/lbha, mode 0700 (survives reboots)
//   root/run            /run, emptied at every boot
//
// Powering a node off (lab::power_off) kills the container's PID 1, which ends
// every process in it at once, as a power cut does; lab::boot starts it again
// with the same files.
#pragma once

#include <chrono>
#include <filesystem>

namespace lbha::lab {

// Creates what a container's first boot needs under `root` (idempotent: an
// existing root/etc is kept), and the host mount point /var/lib/lbha if it is
// missing. Empties root/run. Throws lab_error.
void prepare_container_root(const std::filesystem::path& root);

// Waits until the container booted from `root` has mounted everything and its
// PID 1 is up. Throws lab_error after `timeout`.
void wait_for_container(const std::filesystem::path& root, std::chrono::milliseconds timeout);

}  // namespace lbha::lab
