#include "common/hook_runner.hpp"

#include <sys/wait.h>

#include "common/logging.hpp"

namespace lbha {

hook_runner::hook_runner(const lbha::clock& clock, hook_processes& processes,
                         std::string logger_name)
    : clock_(clock), processes_(processes), logger_name_(std::move(logger_name)) {}

hook_runner::~hook_runner() { stop(); }

void hook_runner::set_limits(std::chrono::milliseconds timeout, std::size_t queue_limit) {
  timeout_ = timeout;
  queue_limit_ = queue_limit;
}

bool hook_runner::submit(std::vector<hook_job> batch) {
  if (batch.empty()) return true;
  const std::size_t waiting = queue_.size();
  if (waiting >= queue_limit_) {
    ++counters_.dropped;
    get_logger(logger_name_)
        ->error("hooks: {} dropped: {} events already wait for their hooks ({} dropped so far)",
                batch.front().purpose, waiting, counters_.dropped);
    return false;
  }
  queue_.push_back(std::move(batch));
  if (!running_) start_next();
  return true;
}

void hook_runner::poll() {
  while (running_) {
    if (auto status = processes_.finished(running_->pid)) {
      finish(*status);
      start_next();
      continue;
    }
    if (!running_->killed && clock_.now() >= running_->deadline) {
      processes_.kill_group(running_->pid);
      running_->killed = true;
      continue;  // a killed child is usually gone at once: reap it now
    }
    return;
  }
  start_next();
}

void hook_runner::stop() {
  if (running_) {
    processes_.kill_group(running_->pid);
    processes_.wait_killed(running_->pid);
    running_.reset();
  }
  current_.clear();
  queue_.clear();
}

void hook_runner::release() {
  running_.reset();
  current_.clear();
  queue_.clear();
}

void hook_runner::start_next() {
  while (!running_) {
    if (current_.empty()) {
      if (queue_.empty()) return;
      auto& batch = queue_.front();
      current_.assign(std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
      queue_.pop_front();
      continue;
    }
    hook_job job = std::move(current_.front());
    current_.pop_front();
    auto pid = processes_.start(job.request);
    if (!pid) {
      fail(job, pid.error().message());
      continue;
    }
    ++counters_.started;
    running_ = running{std::move(job), pid.value(), clock_.now() + timeout_, false};
  }
}

void hook_runner::finish(int status) {
  running r = std::move(*running_);
  running_.reset();
  if (r.killed) {
    fail(r.job, "killed after the " + std::to_string(timeout_.count()) + " ms timeout");
  } else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    fail(r.job, describe_wait_status(status));
  }
}

void hook_runner::fail(const hook_job& job, const std::string& why) {
  ++counters_.failed;
  const std::string hook = job.request.argv.empty() ? "" : job.request.argv.front();
  get_logger(logger_name_)
      ->error("hook {} for {} failed: {} ({} hook failures so far)", hook, job.purpose, why,
              counters_.failed);
}

}  // namespace lbha
