// The table_port test double (one for every syncd test and the bench's
// HAProxy filler): stands in for proxyd's table. It records what syncd
// applies and injects local changes as if proxyd had made them. Used from the
// daemon's io_context only.
#pragma once

#include <map>
#include <vector>

#include "replicator/sync/table_port.hpp"

namespace lbha::sync {

class fake_table final : public table_port {
 public:
  void start(handlers h) override {
    handlers_ = std::move(h);
    handlers_.on_connected();
  }
  void apply(std::vector<table_change> entries) override {
    for (auto& e : entries) {
      applied[e.key] = e;
      history.push_back(std::move(e));
    }
  }
  void stop() override {}
  bool connected() const override { return true; }
  // proxyd's table read again: every local change so far, as a snapshot.
  void refresh() override {
    ++refreshes;
    handlers_.on_local(made);
  }
  // Changes proxyd made itself (a new client, a refresh).
  void local(std::vector<table_change> changes) {
    made.insert(made.end(), changes.begin(), changes.end());
    handlers_.on_local(std::move(changes));
  }

  // Every local change (what refresh() delivers again) and how often it did.
  std::vector<table_change> made;
  int refreshes = 0;

  // The latest entry applied per key (a live push and a resync lesson may
  // both carry one), and every apply in order.
  std::map<bytes, table_change> applied;
  std::vector<table_change> history;

 private:
  handlers handlers_;
};

}  // namespace lbha::sync
