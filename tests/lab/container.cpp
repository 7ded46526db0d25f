#include "tests/lab/container.hpp"

#include <sys/stat.h>

#include <system_error>

#include "tests/lab/command.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::lab {

namespace {

void make_dir(const std::filesystem::path& dir, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || ::chmod(dir.c_str(), mode) != 0) {
    throw lab_error("cannot create " + dir.string() + ": " +
                    (ec ? ec.message() : std::string("chmod failed")));
  }
}

}  // namespace

void prepare_container_root(const std::filesystem::path& root) {
  if (!std::filesystem::exists("/var/lib/lbha")) make_dir("/var/lib/lbha", 0700);
  if (!std::filesystem::exists(root / "etc")) {
    make_dir(root, 0755);
    // cp -a keeps owners, modes and links; /etc/shadow stays root-only.
    run_checked({"cp", "-a", "/etc", (root / "etc").string()}, {.timeout = std::chrono::seconds(60)});
    std::error_code ignored;
    std::filesystem::remove_all(root / "etc" / "lbha", ignored);
    make_dir(root / "etc" / "lbha", 0755);
    make_dir(root / "home", 0755);
    make_dir(root / "var" / "lib" / "lbha", 0700);
  }
  std::error_code ec;
  std::filesystem::remove_all(root / "run", ec);
  if (ec) throw lab_error("cannot empty " + (root / "run").string() + ": " + ec.message());
  make_dir(root / "run", 0755);
}

void wait_for_container(const std::filesystem::path& root, std::chrono::milliseconds timeout) {
  const auto ready = root / "run" / ".container-ready";
  if (!wait_until([&] { return std::filesystem::exists(ready); }, timeout)) {
    throw lab_error("container at " + root.string() + " did not come up within " +
                    std::to_string(timeout.count()) + " ms (no " + ready.string() + ")");
  }
}

}  // namespace lbha::lab
