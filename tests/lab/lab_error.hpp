// The lab's exception type.
//
// The lab throws instead of returning results: a topology that cannot be
// built or a setup command that fails ends the test, and the message (the
// command, its exit status and its stderr) is what the test prints. Commands
// whose failure a test expects to look at (exec, curl through a partition)
// return a command_result instead.
#pragma once

#include <stdexcept>
#include <string>

namespace lbha::lab {

class lab_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace lbha::lab
