// Where batches wait between the sensor pipeline and the collector's ack (DESIGN.md: "the spool
// on disk is the source of truth"). GrpcShipSink talks to this interface only; MemorySpool is
// the bounded in-memory version, and the durable on-disk spool slots in behind the same calls.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "dbaudit/v1/ingest.pb.h"

namespace dbaudit::sensor::ship {

using BatchPtr = std::shared_ptr<const dbaudit::v1::RecordBatch>;

class Spool {
 public:
  virtual ~Spool() = default;
  // Appends a batch (ascending seq). Waits while the spool is full; returns false, keeping
  // nothing, when Close() was called.
  virtual bool Append(BatchPtr batch) = 0;
  // The `index`-th unacknowledged batch (0 = oldest), waiting up to `timeout` for it to exist;
  // nullptr when it does not exist by then.
  virtual BatchPtr Get(size_t index, std::chrono::milliseconds timeout) = 0;
  // Drops the `count` oldest batches: the collector acknowledged them.
  virtual void Ack(size_t count) = 0;
  virtual size_t batches() const = 0;
  virtual uint64_t records() const = 0;
  // Wakes every waiter; Append refuses from now on (the shipper gave up or is shutting down).
  virtual void Close() = 0;
};

class MemorySpool final : public Spool {
 public:
  explicit MemorySpool(size_t max_batches) : max_batches_(max_batches == 0 ? 1 : max_batches) {}

  bool Append(BatchPtr batch) override {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return closed_ || queue_.size() < max_batches_; });
    if (closed_) return false;
    records_ += static_cast<uint64_t>(batch->records_size());
    queue_.push_back(std::move(batch));
    ready_.notify_all();
    return true;
  }

  BatchPtr Get(size_t index, std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait_for(lock, timeout, [&] { return closed_ || index < queue_.size(); });
    return index < queue_.size() ? queue_[index] : nullptr;
  }

  void Ack(size_t count) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < count && !queue_.empty(); ++i) {
      records_ -= static_cast<uint64_t>(queue_.front()->records_size());
      queue_.pop_front();
    }
    space_.notify_all();
  }

  size_t batches() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

  uint64_t records() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

  void Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    space_.notify_all();
    ready_.notify_all();
  }

 private:
  const size_t max_batches_;
  mutable std::mutex mu_;
  std::condition_variable space_;
  std::condition_variable ready_;
  std::deque<BatchPtr> queue_;
  uint64_t records_ = 0;
  bool closed_ = false;
};

}  // namespace dbaudit::sensor::ship
