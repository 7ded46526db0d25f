#include "replicator/sync/syncd.hpp"

#include <algorithm>

#include "common/logging.hpp"

namespace lbha::sync {

syncd::syncd(asio::io_context& io, node_settings settings, syncd_options options,
             table_port& table, const clock& clock)
    : io_(io),
      options_(std::move(options)),
      table_(table),
      clock_(clock),
      node_(std::move(settings), clock),
      acceptor_(io),
      tick_timer_(io) {}

result<void> syncd::start() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.listen_address, ec);
  if (ec) return std::error_code(ec);
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    get_logger("syncd")->error("cannot listen on {}:{}: {}", options_.listen_address,
                               options_.port, ec.message());
    return std::error_code(ec);
  }
  port_ = acceptor_.local_endpoint().port();
  get_logger("syncd")->info("listening on {}:{}", options_.listen_address, port_);
  table_.start({.on_local =
                    [this](std::vector<table_change> changes) {
                      if (stopped_) return;
                      node_.local_changes(changes);
                      flush();
                    },
                .on_connected =
                    [this] {
                      if (!stopped_) table_.apply(node_.snapshot());
                    }});
  do_accept();
  // Dial the peers now rather than on the first tick.
  node_.tick();
  flush();
  do_tick();
  return success();
}

void syncd::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  tick_timer_.cancel();
  for (auto& [id, l] : links_) l->socket.close(ec);
  links_.clear();
  table_.stop();
}

bool syncd::reconfigure(node_settings settings) {
  if (stopped_) return false;
  auto known = [this](const table_config& t) {
    const auto* had = node_.table(t.name);
    return had != nullptr && had->config().key == t.key;
  };
  const bool added = !std::all_of(settings.tables.begin(), settings.tables.end(), known);
  if (!node_.reconfigure(std::move(settings))) return false;
  node_.tick();  // dial the (new) peers at once
  flush();
  // proxyd's entries for a table that is new to us were ignored so far
  // (ignored_local_changes): read its table again.
  if (added) table_.refresh();
  return true;
}

void syncd::do_accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (!ec) {
      boost::system::error_code e;
      auto remote = socket.remote_endpoint(e).address();
      if (remote.is_v6() && remote.to_v6().is_v4_mapped()) {
        remote = asio::ip::make_address_v4(asio::ip::v4_mapped, remote.to_v6());
      }
      if (auto id = node_.accepted(remote.to_string()); !e && id) {
        socket.set_option(tcp::no_delay(true), e);
        auto l = std::make_shared<link>(std::move(socket));
        links_[*id] = l;
        do_read(*id, l);
      }
      flush();
    }
    do_accept();
  });
}

void syncd::do_tick() {
  tick_timer_.expires_after(options_.tick_interval);
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    node_.tick();
    flush();
    do_tick();
  });
}

void syncd::do_dial(dial_request d) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(d.address, ec);
  if (ec) {
    node_.connect_failed(d.id);
    return;
  }
  auto l = std::make_shared<link>(tcp::socket(io_));
  const tcp::endpoint target(address, d.port);
  l->socket.open(target.protocol(), ec);
  const auto local = asio::ip::make_address(options_.listen_address, ec);
  if (!ec && !local.is_unspecified() && local.is_v4() == address.is_v4()) {
    l->socket.bind(tcp::endpoint(local, 0), ec);
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, options_.connect_timeout);
  timer->async_wait([l](boost::system::error_code e) {
    if (!e) l->socket.close(e);
  });
  l->socket.async_connect(target, [this, id = d.id, l, timer](boost::system::error_code e) {
    timer->cancel();
    if (stopped_) return;
    if (e) {
      node_.connect_failed(id);
      flush();
      return;
    }
    l->socket.set_option(tcp::no_delay(true), e);
    links_[id] = l;
    node_.connected(id);
    do_read(id, l);
    flush();
  });
}

void syncd::do_read(connection_id id, std::shared_ptr<link> l) {
  l->socket.async_read_some(asio::buffer(l->read_buffer),
                            [this, id, l](boost::system::error_code ec, std::size_t n) {
                              if (stopped_) return;
                              if (ec) {
                                node_.closed(id);
                                finish(id);
                                flush();
                                return;
                              }
                              bytes_received_ += n;
                              node_.received(id, byte_view(l->read_buffer.data(), n));
                              flush();
                              if (l->socket.is_open()) do_read(id, l);
                            });
}

void syncd::do_write(connection_id id, std::shared_ptr<link> l) {
  if (l->writing) return;
  if (l->queue.empty()) {
    if (l->close_after) finish(id);
    return;
  }
  l->writing = true;
  asio::async_write(l->socket, asio::buffer(l->queue.front()),
                    [this, id, l](boost::system::error_code ec, std::size_t) {
                      l->writing = false;
                      if (stopped_) return;
                      l->queue.pop_front();
                      if (ec) {
                        node_.closed(id);
                        finish(id);
                        flush();
                        return;
                      }
                      do_write(id, l);
                    });
}

void syncd::finish(connection_id id) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  boost::system::error_code ec;
  it->second->socket.shutdown(tcp::socket::shutdown_both, ec);
  it->second->socket.close(ec);
  links_.erase(it);
}

void syncd::flush() {
  for (auto& d : node_.take_dials()) do_dial(std::move(d));
  for (auto& [id, data] : node_.take_outputs()) {
    auto it = links_.find(id);
    if (it == links_.end()) continue;
    bytes_sent_ += data.size();
    it->second->queue.push_back(std::move(data));
    do_write(id, it->second);
  }
  for (auto& [id, data] : node_.take_closing()) {
    auto it = links_.find(id);
    if (it == links_.end()) continue;
    auto l = it->second;
    if (!data.empty()) l->queue.push_back(std::move(data));
    l->close_after = true;
    do_write(id, l);
  }
  auto remote = node_.take_remote_packed();
  if (!remote.empty()) table_.apply_packed(std::move(remote));
  // A lesson goes out a chunk per turn of the io loop, so its first bytes are
  // on the wire while the rest is encoded, and other peers are not starved.
  if (!lesson_posted_ && node_.teaching()) {
    lesson_posted_ = true;
    asio::post(io_, [this] {
      lesson_posted_ = false;
      if (stopped_) return;
      node_.continue_lessons();
      flush();
    });
  }
}

lbha::v1::SyncStatus syncd::status() const {
  lbha::v1::SyncStatus out;
  for (const auto& p : node_.status()) {
    auto* s = out.add_peers();
    s->set_name(p.name);
    s->set_address(p.address);
    s->set_connected(p.connected);
    s->set_updates_sent(p.updates_sent);
    s->set_updates_received(p.updates_received);
  }
  out.set_resync_pending(node_.resync_pending());
  for (const auto& t : node_.tables()) {
    auto* s = out.add_tables();
    s->set_name(t.config().name);
    s->set_entries(t.size());
  }
  out.set_refused_connections(node_.counters().refused_connections);
  out.set_session_errors(node_.counters().session_errors);
  out.set_proxy_connected(table_.connected());
  out.set_bytes_sent(bytes_sent_);
  out.set_bytes_received(bytes_received_);
  return out;
}

}  // namespace lbha::sync
