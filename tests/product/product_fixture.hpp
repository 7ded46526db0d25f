// GoogleTest support for product lab tests: skips without root, prints every
// process's logs on failure, tears the product lab down after each test.
//
//   class failover : public lbha::lab::product_test {};
//   TEST_F(failover, ...) { auto& p = make_product(); ... }
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "tests/lab/lab.hpp"
#include "tests/product/product.hpp"

namespace lbha::lab {

class product_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = why_lab_unavailable(); !why.empty()) GTEST_SKIP() << why;
  }

  void TearDown() override {
    if (product_ && HasFailure()) {
      std::cerr << "==== logs of lab " << product_->lab().prefix() << "\n" << product_->logs();
    }
    product_.reset();
  }

  product_lab& make_product(product_options options = {}) {
    product_ = std::make_unique<product_lab>(std::move(options));
    return *product_;
  }

 private:
  std::unique_ptr<product_lab> product_;
};

}  // namespace lbha::lab
