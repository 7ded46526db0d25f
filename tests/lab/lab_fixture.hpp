// GoogleTest support for lab tests (header-only: the lab library does not link gtest).
//
//   class failover_test : public lbha::lab::lab_test {};
//   TEST_F(failover_test, passive_takes_over) {
//     auto& lab = make_lab({.lb_nodes = 2, .servers = 2, .clients = 1});
//     ...
//   }
//
// Skips (with the reason) when not root; on failure prints every started
// process's stdout/stderr before the teardown deletes them.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "tests/lab/lab.hpp"

namespace lbha::lab {

class lab_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = why_lab_unavailable(); !why.empty()) GTEST_SKIP() << why;
  }

  void TearDown() override {
    for (auto& l : labs_) {
      if (HasFailure()) std::cerr << "==== logs of lab " << l->prefix() << "\n" << l->logs();
    }
    while (!labs_.empty()) labs_.pop_back();  // teardown in reverse order of creation
  }

  lab& make_lab(lab_options options = {}) {
    labs_.push_back(std::make_unique<lab>(options));
    return *labs_.back();
  }

 private:
  std::vector<std::unique_ptr<lab>> labs_;
};

}  // namespace lbha::lab
