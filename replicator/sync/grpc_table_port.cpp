#include "replicator/sync/grpc_table_port.hpp"

#include "common/logging.hpp"
#include "common/packed_batch.hpp"

namespace lbha::sync {

namespace {
// Entries per ApplyTable message: well under gRPC's 4 MiB limit, and small
// enough that proxyd applies one batch while the next is on its way (the
// tail after a lesson's last byte is one batch).
constexpr std::size_t max_batch = 8192;
}  // namespace

grpc_table_port::grpc_table_port(asio::io_context& io, std::shared_ptr<grpc::Channel> channel)
    : io_(io), stub_(lbha::v1::Proxy::NewStub(std::move(channel))) {}

grpc_table_port::~grpc_table_port() { stop(); }

void grpc_table_port::start(handlers h) {
  handlers_ = std::move(h);
  watcher_ = std::thread([this] { watch_loop(); });
  applier_ = std::thread([this] { apply_loop(); });
}

void grpc_table_port::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_.exchange(true)) return;
    if (watch_context_) watch_context_->TryCancel();
    if (apply_context_) apply_context_->TryCancel();
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (applier_.joinable()) applier_.join();
}

void grpc_table_port::refresh() {
  std::lock_guard lock(mutex_);
  refresh_ = true;
  if (watch_context_) watch_context_->TryCancel();
}

void grpc_table_port::apply(std::vector<table_change> entries) {
  if (entries.empty()) return;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(entries), {}});
  }
  wake_.notify_all();
}

void grpc_table_port::apply_packed(packed_changes batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({{}, std::move(batch)});
  }
  wake_.notify_all();
}

bool grpc_table_port::wait_or_stop(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, d, [this] { return stopping_.load(); });
  return !stopping_;
}

std::vector<table_change> grpc_table_port::from_batch(const lbha::v1::StickBatch& batch) {
  std::vector<table_change> out;
  out.reserve(static_cast<std::size_t>(batch.entries_size()));
  for (const auto& e : batch.entries()) {
    out.push_back({e.virtual_service(), bytes(e.client().begin(), e.client().end()),
                   e.real_server(), e.expires_in_ms()});
  }
  if (batch.packed().empty()) return out;
  std::vector<packed::record> records;
  if (auto error = packed::decode(batch.packed(), static_cast<std::size_t>(batch.names_size()),
                                  records)) {
    get_logger("syncd")->error("table stream from proxyd: batch refused: {}",
                               packed::message(*error));
    return out;
  }
  out.reserve(out.size() + records.size());
  for (const auto& r : records) {
    out.push_back({batch.names(r.table), bytes(r.key.begin(), r.key.begin() + r.key_size),
                   batch.names(r.server), r.expires_in_ms});
  }
  return out;
}

namespace {

// Packed (common/packed_batch.hpp); an entry the packed form cannot carry (a key of
// another length, which proxyd refuses anyway) goes in the repeated form.
void fill_batch(lbha::v1::StickBatch& batch, const std::vector<table_change>& entries) {
  packed::encoder encoder;
  encoder.reserve(entries.size());
  for (const auto& c : entries) {
    const std::string_view key(reinterpret_cast<const char*>(c.key.data()), c.key.size());
    if (encoder.add(c.table, key, c.server, c.expires_in_ms)) continue;
    auto* e = batch.add_entries();
    e->set_virtual_service(c.table);
    e->set_client(key.data(), key.size());
    e->set_real_server(c.server);
    e->set_expires_in_ms(c.expires_in_ms);
  }
  encoder.take(batch);
}

}  // namespace

lbha::v1::StickBatch grpc_table_port::to_batch(const std::vector<table_change>& entries) {
  lbha::v1::StickBatch batch;
  fill_batch(batch, entries);
  return batch;
}

lbha::v1::StickBatch* grpc_table_port::to_batch(const std::vector<table_change>& entries,
                                                google::protobuf::Arena& arena) {
  auto* batch = google::protobuf::Arena::CreateMessage<lbha::v1::StickBatch>(&arena);
  fill_batch(*batch, entries);
  return batch;
}

void grpc_table_port::watch_loop() {
  auto log = get_logger("syncd");
  bool refreshing = false;  // the streams were reopened by refresh(), not after a loss
  while (!stopping_) {
    grpc::ClientContext watch_context;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      watch_context_ = &watch_context;
    }
    auto watch = stub_->WatchTable(&watch_context, lbha::v1::WatchTableRequest{});
    // The snapshot comes after the watch is open, so no change is missed.
    grpc::ClientContext snapshot_context;
    snapshot_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto snapshot = stub_->SnapshotTable(&snapshot_context, lbha::v1::SnapshotTableRequest{});
    lbha::v1::StickBatch batch;
    std::vector<table_change> all;
    while (snapshot->Read(&batch)) {
      auto part = from_batch(batch);
      all.insert(all.end(), part.begin(), part.end());
    }
    const auto snapshot_status = snapshot->Finish();
    if (snapshot_status.ok()) {
      connected_ = true;
      log->info("table streams to proxyd up ({} entries)", all.size());
      // After refresh() proxyd is the same process: it lost nothing, and
      // re-applying every entry syncd holds would only cost time.
      asio::post(io_, [this, all = std::move(all), reconnected = !refreshing]() mutable {
        handlers_.on_local(std::move(all));
        if (reconnected) handlers_.on_connected();
      });
      while (watch->Read(&batch)) {
        asio::post(io_, [this, changes = from_batch(batch)]() mutable {
          handlers_.on_local(std::move(changes));
        });
      }
    }
    watch_context.TryCancel();
    watch->Finish();
    {
      std::lock_guard lock(mutex_);
      watch_context_ = nullptr;
    }
    const bool refresh = refresh_.exchange(false);
    const bool was_connected = connected_.exchange(false);
    if (was_connected && !stopping_ && !refresh) {
      log->warn("table streams to proxyd down; retrying");
    }
    refreshing = refresh && was_connected;
    if (!wait_or_stop(std::chrono::milliseconds(refresh ? 0 : 1000))) return;
  }
}

void grpc_table_port::apply_loop() {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientWriter<lbha::v1::StickBatch>> writer;
  lbha::v1::ProxyResult result;
  auto close_stream = [&] {
    if (!writer) return;
    writer->WritesDone();
    writer->Finish();
    writer.reset();
    std::lock_guard lock(mutex_);
    apply_context_ = nullptr;
  };
  while (true) {
    std::vector<table_change> entries;
    packed_changes packed;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      // Merge what queued up into one batch (bounded by gRPC's 4 MiB message
      // limit): entries with entries, packed batches with the same names.
      if (!queue_.front().packed.empty()) {
        packed = std::move(queue_.front().packed);
        queue_.pop_front();
        while (!queue_.empty() && packed.count < max_batch && !queue_.front().packed.empty() &&
               queue_.front().packed.names == packed.names) {
          packed.records += queue_.front().packed.records;
          packed.count += queue_.front().packed.count;
          queue_.pop_front();
        }
      } else {
        while (!queue_.empty() && entries.size() < max_batch && queue_.front().packed.empty()) {
          auto& front = queue_.front().entries;
          if (entries.empty()) {
            entries = std::move(front);
          } else {
            entries.insert(entries.end(), std::make_move_iterator(front.begin()),
                           std::make_move_iterator(front.end()));
          }
          queue_.pop_front();
        }
      }
    }
    const std::size_t count = packed.empty() ? entries.size() : packed.count;
    // A stream broken by a proxyd restart is only noticed on the next write:
    // retry once on a fresh stream before giving the batch up.
    bool written = false;
    for (int attempt = 0; attempt < 2 && !written; ++attempt) {
      if (!writer) {
        context = std::make_unique<grpc::ClientContext>();
        {
          std::lock_guard lock(mutex_);
          if (stopping_) break;
          apply_context_ = context.get();
        }
        writer = stub_->ApplyTable(context.get(), &result);
      }
      google::protobuf::Arena arena;
      if (packed.empty()) {
        written = writer->Write(*to_batch(entries, arena));
      } else {
        auto* batch = google::protobuf::Arena::CreateMessage<lbha::v1::StickBatch>(&arena);
        batch->set_packed(packed.records);  // copied: a retry needs it again
        for (const auto& n : packed.names) batch->add_names(n);
        written = writer->Write(*batch);
      }
      if (!written) close_stream();
    }
    if (!written && !stopping_) {
      get_logger("syncd")->warn("ApplyTable to proxyd failed; {} entries wait for the re-sync",
                                count);
    }
  }
  if (writer) {
    writer->WritesDone();
    writer->Finish();
  }
}

}  // namespace lbha::sync
