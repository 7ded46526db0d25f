#include "replicator/sync/syncd.hpp"

#include <algorithm>

#include "common/logging.hpp"

namespace lbha::sync {

namespace {

std::string source_of(const asio::ip::tcp::socket& socket) {
  boost::system::error_code e;
  auto remote = socket.remote_endpoint(e).address();
  if (e) return {};
  if (remote.is_v6() && remote.to_v6().is_v4_mapped()) {
    remote = asio::ip::make_address_v4(asio::ip::v4_mapped, remote.to_v6());
  }
  return remote.to_string();
}

// A TLS record starts with content type 22 (handshake); a peers-protocol hello with 'H'.
constexpr std::uint8_t tls_handshake_record = 0x16;

}  // namespace

std::shared_ptr<tls_identity> syncd::make_identity(
    const std::optional<state::pair_certificate>& pair) {
  if (!pair) return nullptr;
  auto identity = tls_identity::make(*pair);
  if (!identity) {
    get_logger("syncd")->error("pair.pem unusable ({}): the pair's sessions are not started",
                               identity.error().message());
    return nullptr;
  }
  return identity.value();
}

syncd::syncd(asio::io_context& io, node_settings settings, syncd_options options, table_port& table,
             const clock& clock)
    : io_(io),
      options_(std::move(options)),
      identity_(make_identity(options_.identity)),
      table_(table),
      clock_(clock),
      node_((settings.identity = identity_ ? identity_->fingerprint() : "", std::move(settings)),
            clock),
      tick_timer_(io),
      limits_(options_.limits),
      accept_backoff_(options_.accept_retry_first, options_.accept_retry_max),
      accept_log_(options_.accept_log_interval) {
  options_.identity.reset();  // the key lives in the ssl context only
}

result<void> syncd::start() {
  auto log = get_logger("syncd");
  if (options_.listen_addresses.empty()) {
    return error(std::errc::invalid_argument,
                 "no address to listen on: list the node's addresses in node.yaml local_addresses");
  }
  for (const auto& text : options_.listen_addresses) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(text, ec);
    if (ec) return error(std::errc::invalid_argument, "invalid listen address '" + text + "'");
    if (address.is_unspecified()) {
      return error(std::errc::invalid_argument,
                   "syncd listens only on the node's own addresses, not on " + text);
    }
    auto l = std::make_unique<listener>(io_);
    const tcp::endpoint endpoint(address, port_ ? port_ : options_.port);
    l->acceptor.open(endpoint.protocol(), ec);
    if (!ec) l->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) l->acceptor.bind(endpoint, ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      log->error("cannot listen on {}:{}: {}", text, endpoint.port(), ec.message());
      return std::error_code(ec);
    }
    port_ = l->acceptor.local_endpoint().port();
    log->info("listening on {}:{}", text, port_);
    listeners_.push_back(std::move(l));
  }
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
  for (auto& l : listeners_) do_accept(*l);
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
  for (auto& l : listeners_) {
    l->acceptor.close(ec);
    l->retry.cancel();
  }
  tick_timer_.cancel();
  for (auto& [id, l] : links_) {
    l->socket().close(ec);
    l->write_timer.cancel();
  }
  links_.clear();
  table_.stop();
}

bool syncd::reconfigure(node_settings settings, std::optional<state::pair_certificate> identity) {
  if (stopped_) return false;
  auto known = [this](const table_config& t) {
    const auto* had = node_.table(t.name);
    return had != nullptr && had->config().key == t.key;
  };
  const bool added = !std::all_of(settings.tables.begin(), settings.tables.end(), known);
  auto next = make_identity(identity);
  settings.identity = next ? next->fingerprint() : "";
  if (!node_.reconfigure(std::move(settings))) return false;
  // Links that are up keep the context they started with; a new pair.pem
  // changed the identity, so the node has closed them all.
  identity_ = std::move(next);
  node_.tick();  // dial the (new) peers at once
  flush();
  // proxyd's entries for a table that is new to us were ignored so far
  // (ignored_local_changes): read its table again.
  if (added) table_.refresh();
  return true;
}

void syncd::do_accept(listener& server) {
  server.acceptor.async_accept([this, &server](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (ec) return on_accept_error(server, ec);
    accept_backoff_.reset();
    socket.set_option(tcp::no_delay(true), ec);
    const std::string source = source_of(socket);
    if (source.empty()) return do_accept(server);
    if (!limits_.admit(source)) {
      ++counters_.over_limit;
      if (accept_log_.allow(clock_.now())) {
        get_logger("syncd")->warn("refused a connection from {}: {} open ({} per address at most)",
                                  source, limits_.open(), options_.limits.connections_per_source);
      }
      socket.close(ec);
      return do_accept(server);
    }
    if (auto id = node_.accepted(source)) {
      auto l = std::make_shared<link>(std::move(socket), io_);
      l->counted_source = source;
      links_[*id] = l;
      do_sniff(*id, l);
    } else {
      limits_.release(source);
    }
    flush();
    do_accept(server);
  });
}

void syncd::on_accept_error(listener& server, const boost::system::error_code& ec) {
  ++counters_.accept_errors;
  ++accept_errors_unlogged_;
  const auto delay = accept_backoff_.next();
  if (accept_log_.allow(clock_.now())) {
    get_logger("syncd")->error(
        "accepting on port {} failed: {} ({} time(s)); retrying in {} ms", port_, ec.message(),
        accept_errors_unlogged_,
        std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    accept_errors_unlogged_ = 0;
  }
  server.retry.expires_after(delay);
  server.retry.async_wait([this, &server](boost::system::error_code e) {
    if (!e && !stopped_) do_accept(server);
  });
}

// The first byte says which transport the caller speaks; the node decides
// whether a peer at its address may use it.
void syncd::do_sniff(connection_id id, std::shared_ptr<link> l) {
  l->socket().async_wait(tcp::socket::wait_read, [this, id, l](boost::system::error_code ec) {
    auto it = links_.find(id);
    if (stopped_ || it == links_.end() || it->second != l) return;
    std::uint8_t first = 0;
    std::size_t n = 0;
    if (!ec) n = l->socket().receive(asio::buffer(&first, 1), tcp::socket::message_peek, ec);
    if (ec || n == 0) {
      node_.closed(id);
    } else if (first != tls_handshake_record) {
      if (node_.secured(id, false)) do_read(id, l);
    } else if (!identity_) {
      node_.secured(id, true);  // not paired: refused, counted
    } else {
      return do_server_handshake(id, l);
    }
    flush();
  });
}

void syncd::do_server_handshake(connection_id id, std::shared_ptr<link> l) {
  l->identity = identity_;
  l->tls = std::make_unique<tls_stream>(std::move(*l->plain), identity_->context());
  l->plain.reset();
  l->tls->async_handshake(
      asio::ssl::stream_base::server, [this, id, l](boost::system::error_code ec) {
        auto it = links_.find(id);
        if (stopped_ || it == links_.end() || it->second != l) return;
        if (ec || !l->identity->presented_by(l->tls->native_handle())) {
          get_logger("syncd")->warn("refused a TLS connection from {}: {}", *l->counted_source,
                                    ec ? ec.message() : "not the pair's certificate");
          node_.tls_failed(id);
        } else if (node_.secured(id, true)) {
          do_read(id, l);
        }
        flush();
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
  auto l = std::make_shared<link>(tcp::socket(io_), io_);
  const tcp::endpoint target(address, d.port);
  l->socket().open(target.protocol(), ec);
  // From the local address paired with the dialled one (heartbeat path i),
  // else the first of the family: the peer accepts only addresses it knows.
  std::optional<asio::ip::address> local;
  for (std::size_t i = 0; i < options_.listen_addresses.size(); ++i) {
    boost::system::error_code e;
    const auto a = asio::ip::make_address(options_.listen_addresses[i], e);
    if (e || a.is_v4() != address.is_v4()) continue;
    if (!local || i == d.address_index) local = a;
  }
  if (!ec && local) l->socket().bind(tcp::endpoint(*local, 0), ec);
  links_[d.id] = l;
  auto timer = std::make_shared<asio::steady_timer>(io_, options_.connect_timeout);
  timer->async_wait([l](boost::system::error_code e) {
    if (!e) l->socket().close(e);
  });
  l->socket().async_connect(target,
                            [this, id = d.id, tls = d.tls, l, timer](boost::system::error_code e) {
                              timer->cancel();
                              auto it = links_.find(id);
                              if (stopped_ || it == links_.end() || it->second != l) return;
                              if (e) {
                                node_.connect_failed(id);
                                flush();
                                return;
                              }
                              l->socket().set_option(tcp::no_delay(true), e);
                              if (tls && identity_) return do_client_handshake(id, l);
                              if (tls) {
                                node_.tls_failed(id);
                              } else {
                                node_.connected(id);
                                do_read(id, l);
                              }
                              flush();
                            });
}

void syncd::do_client_handshake(connection_id id, std::shared_ptr<link> l) {
  l->identity = identity_;
  l->tls = std::make_unique<tls_stream>(std::move(*l->plain), identity_->context());
  l->plain.reset();
  l->tls->async_handshake(
      asio::ssl::stream_base::client, [this, id, l](boost::system::error_code ec) {
        auto it = links_.find(id);
        if (stopped_ || it == links_.end() || it->second != l) return;
        if (ec || !l->identity->presented_by(l->tls->native_handle())) {
          get_logger("syncd")->warn("TLS with the peer failed: {}",
                                    ec ? ec.message() : "not the pair's certificate");
          node_.tls_failed(id);
        } else {
          node_.connected(id);
          do_read(id, l);
        }
        flush();
      });
}

void syncd::do_read(connection_id id, std::shared_ptr<link> l) {
  auto done = [this, id, l](boost::system::error_code ec, std::size_t n) {
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
    if (l->socket().is_open()) do_read(id, l);
  };
  if (l->tls) {
    l->tls->async_read_some(asio::buffer(l->read_buffer), std::move(done));
  } else {
    l->plain->async_read_some(asio::buffer(l->read_buffer), std::move(done));
  }
}

void syncd::do_write(connection_id id, std::shared_ptr<link> l) {
  if (l->writing) return;
  if (l->queue.empty()) {
    if (l->close_after) finish(id);
    return;
  }
  l->writing = true;
  // A peer that stops reading is dropped: the write must finish in time.
  l->write_timer.expires_after(options_.write_timeout);
  l->write_timer.async_wait([this, l, queued = &l->queue.front()](boost::system::error_code ec) {
    if (ec || stopped_ || !l->writing || l->queue.empty() || &l->queue.front() != queued) return;
    ++counters_.write_timeouts;
    get_logger("syncd")->warn(
        "a peer did not read for {} ms: dropped",
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.write_timeout).count());
    l->socket().close(ec);  // the write fails and ends the link
  });
  auto done = [this, id, l](boost::system::error_code ec, std::size_t) {
    l->writing = false;
    l->write_timer.cancel();
    if (stopped_) return;
    l->queue.pop_front();
    if (ec) {
      node_.closed(id);
      finish(id);
      flush();
      return;
    }
    do_write(id, l);
  };
  if (l->tls) {
    asio::async_write(*l->tls, asio::buffer(l->queue.front()), std::move(done));
  } else {
    asio::async_write(*l->plain, asio::buffer(l->queue.front()), std::move(done));
  }
}

void syncd::finish(connection_id id) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  auto& l = *it->second;
  boost::system::error_code ec;
  l.socket().shutdown(tcp::socket::shutdown_both, ec);
  l.socket().close(ec);
  l.write_timer.cancel();
  if (l.counted_source) limits_.release(*l.counted_source);
  l.counted_source.reset();
  links_.erase(it);
}

void syncd::flush() {
  for (auto& end : node_.take_session_ends()) {
    if (stopped_ || !alert_sink_) continue;
    alert_sink_({"sync_peer_disconnected",
                 "The persistence-table sync session with " + end.peer + " (" + end.address +
                     ") ended: " + end.reason + "; it is redialled.",
                 {{"PEER", end.peer}, {"PEER_ADDRESS", end.address}, {"REASON", end.reason}}});
  }
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
  const auto& n = node_.counters();
  out.set_refused_connections(n.refused_connections);
  out.set_session_errors(n.session_errors);
  out.set_paired(identity_ != nullptr);
  out.set_refused_hellos(n.refused_hellos);
  out.set_refused_unauthenticated(n.refused_unauthenticated);
  out.set_handshake_timeouts(n.handshake_timeouts);
  out.set_connections_over_limit(counters_.over_limit);
  out.set_write_timeouts(counters_.write_timeouts);
  out.set_accept_errors(counters_.accept_errors);
  out.set_refused_tables(n.refused_tables);
  out.set_evicted_entries(n.evicted_entries);
  out.set_capped_expiries(n.capped_expiries);
  out.set_resync_requests_deferred(n.resync_requests_deferred);
  out.set_proxy_connected(table_.connected());
  out.set_bytes_sent(bytes_sent_);
  out.set_bytes_received(bytes_received_);
  if (alert_counters_) *out.mutable_alert_hooks() = to_proto(alert_counters_());
  return out;
}

}  // namespace lbha::sync
