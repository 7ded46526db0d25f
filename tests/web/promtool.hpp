// Prometheus's own linter on a /metrics page, for the tests that have one
// (metrics_test: the golden page; webd_daemon_test: a page scraped over TCP).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "common/atomic_file.hpp"

namespace lbha::web::test_doubles {

struct promtool_result {
  int status = 0;      // pclose's: 0 when the page passed
  std::string output;  // what promtool printed (nothing when it passed)
};

// `promtool check metrics` on `page`; nullopt when promtool is not installed
// (Debian package prometheus; scripts/install-deps installs it).
inline std::optional<promtool_result> promtool_check(const std::string& page) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) return std::nullopt;
  const auto path = std::filesystem::temp_directory_path() /
                    ("lbha_metrics_" + std::to_string(::getpid()) + ".txt");
  if (!write_file_atomically(path, page))
    return promtool_result{-1, "cannot write " + path.string()};
  // promtool reads the page on stdin; it exits non-zero on a parse error or
  // a lint finding (a counter without _total, a missing HELP...), printing it.
  const std::string command = "promtool check metrics < '" + path.string() + "' 2>&1";
  promtool_result out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return promtool_result{-1, "popen failed"};
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out.output += buffer;
  out.status = ::pclose(pipe);
  std::filesystem::remove(path);
  return out;
}

}  // namespace lbha::web::test_doubles
