#include "heartbeatd/link_filter.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

namespace lbha::heartbeat {

namespace {

// A tiny assembler: jumps name labels, resolved to the 8-bit relative offsets
// of classic BPF once the program is complete. `next` (0) falls through.
class assembler {
 public:
  using label = int;
  static constexpr label next = 0, drop = -1, accept = -2;

  label make_label() { return ++labels_; }
  void mark(label l) { marks_[l] = code_.size(); }
  void load_word(std::uint32_t at) { emit(BPF_LD | BPF_W | BPF_ABS, at); }
  void load_half(std::uint32_t at) { emit(BPF_LD | BPF_H | BPF_ABS, at); }
  void load_byte(std::uint32_t at) { emit(BPF_LD | BPF_B | BPF_ABS, at); }
  void load_half_x(std::uint32_t at) { emit(BPF_LD | BPF_H | BPF_IND, at); }
  void load_byte_x(std::uint32_t at) { emit(BPF_LD | BPF_B | BPF_IND, at); }
  void load_x_ip_header_length() { emit(BPF_LDX | BPF_B | BPF_MSH, 0); }
  void jump_if_equal(std::uint32_t k, label if_true, label if_false) {
    code_.push_back({BPF_JMP | BPF_JEQ | BPF_K, k, if_true, if_false});
  }
  void ret(label which) { code_.push_back({BPF_JMP | BPF_JA, 0, which, next}); }

  bpf_program finish() {
    const std::size_t drop_at = code_.size(), accept_at = code_.size() + 1;
    auto where = [&](label l, std::size_t from) -> std::uint8_t {
      if (l == next) return 0;
      const std::size_t to = l == drop ? drop_at : l == accept ? accept_at : marks_.at(l);
      // Forward only, and callers bound the program (max_filtered_addresses) so every
      // conditional jump fits its 8 bits: anything else is this assembler's bug.
      if (to <= from || to - from - 1 > 255) throw std::logic_error("BPF jump out of range");
      return static_cast<std::uint8_t>(to - from - 1);
    };
    bpf_program out;
    for (std::size_t i = 0; i < code_.size(); ++i) {
      const auto& c = code_[i];
      if (c.code == (BPF_JMP | BPF_JA)) {
        out.push_back({c.code, 0, 0, where(c.jt, i)});
      } else if ((c.code & 0x07) == BPF_JMP) {
        out.push_back({c.code, where(c.jt, i), where(c.jf, i), c.k});
      } else {
        out.push_back({c.code, 0, 0, c.k});
      }
    }
    out.push_back({BPF_RET | BPF_K, 0, 0, 0});       // drop
    out.push_back({BPF_RET | BPF_K, 0, 0, 0xffff});  // accept, whole frame
    return out;
  }

 private:
  struct pending {
    std::uint16_t code;
    std::uint32_t k;
    label jt, jf;
  };
  void emit(std::uint16_t code, std::uint32_t k) { code_.push_back({code, k, next, next}); }

  std::vector<pending> code_;
  std::map<label, std::size_t> marks_;
  label labels_ = 0;
};

std::uint32_t word_at(const std::uint8_t* b) {
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
}

}  // namespace

bpf_program arp_filter(const std::vector<asio::ip::address_v4>& vips) {
  assembler a;
  a.load_half(0);  // hardware type: Ethernet
  a.jump_if_equal(1, a.next, a.drop);
  a.load_half(2);  // protocol type: IPv4
  a.jump_if_equal(0x0800, a.next, a.drop);
  a.load_half(4);  // address lengths 6 and 4
  a.jump_if_equal(0x0604, a.next, a.drop);
  if (vips.size() > max_filtered_addresses) {
    a.ret(a.accept);
    return a.finish();
  }
  for (const std::uint32_t at : {14u, 24u}) {  // sender, then target protocol address
    a.load_word(at);
    for (const auto& v : vips) a.jump_if_equal(v.to_uint(), a.accept, a.next);
  }
  a.ret(a.drop);
  return a.finish();
}

bpf_program nd_filter(const std::vector<asio::ip::address_v6>& vips) {
  assembler a;
  const auto kind_ok = a.make_label();
  a.load_byte(0);  // ICMPv6 type
  a.jump_if_equal(135, kind_ok, a.next);
  a.jump_if_equal(136, kind_ok, a.drop);
  a.mark(kind_ok);
  a.load_byte(1);  // code
  a.jump_if_equal(0, a.next, a.drop);
  if (vips.size() > max_filtered_addresses) {
    a.ret(a.accept);
    return a.finish();
  }
  for (const auto& v : vips) {  // the target address, bytes 8..23, one word at a time
    const auto bytes = v.to_bytes();
    const auto other = a.make_label();
    for (std::uint32_t w = 0; w < 4; ++w) {
      a.load_word(8 + 4 * w);
      a.jump_if_equal(word_at(bytes.data() + 4 * w), w == 3 ? a.accept : a.next, other);
    }
    a.mark(other);
  }
  a.ret(a.drop);
  return a.finish();
}

bpf_program echo_reply_filter_v4(bool raw, std::uint16_t ident,
                                 const std::vector<asio::ip::address_v4>& sources) {
  assembler a;
  if (!raw) {  // a ping socket: the ICMP message from byte 0, the identifier the kernel's
    a.load_byte(0);
    a.jump_if_equal(0, a.accept, a.drop);
    return a.finish();
  }
  a.load_byte(9);  // IP protocol
  a.jump_if_equal(1, a.next, a.drop);
  if (!sources.empty() && sources.size() <= max_filtered_addresses) {
    const auto from_ping_node = a.make_label();
    a.load_word(12);  // IP source
    for (const auto& s : sources) a.jump_if_equal(s.to_uint(), from_ping_node, a.next);
    a.ret(a.drop);
    a.mark(from_ping_node);
  }
  a.load_x_ip_header_length();
  a.load_byte_x(0);  // ICMP type: echo reply
  a.jump_if_equal(0, a.next, a.drop);
  a.load_half_x(4);  // identifier
  a.jump_if_equal(ident, a.accept, a.drop);
  return a.finish();
}

bpf_program echo_reply_filter_v6(bool raw, std::uint16_t ident) {
  assembler a;
  a.load_byte(0);  // ICMPv6 type: echo reply
  if (!raw) {
    a.jump_if_equal(129, a.accept, a.drop);
    return a.finish();
  }
  a.jump_if_equal(129, a.next, a.drop);
  a.load_half(4);
  a.jump_if_equal(ident, a.accept, a.drop);
  return a.finish();
}

result<void> count_queue_drops(int fd) {
  int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on)) != 0)
    return std::error_code(errno, std::generic_category());
  return success();
}

void read_queue_drops(const msghdr& msg, socket_counters& counters) {
  for (auto* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      std::uint32_t drops = 0;  // the socket's total so far
      std::memcpy(&drops, CMSG_DATA(c), sizeof(drops));
      counters.queue_drops = drops;
    }
  }
}

ssize_t receive_frame(int fd, std::span<std::uint8_t> buffer, void* from, socklen_t from_size,
                      std::span<std::uint8_t> control, msghdr& msg, socket_counters& counters) {
  iovec iov{buffer.data(), buffer.size()};
  msg = msghdr{};
  msg.msg_name = from;
  msg.msg_namelen = from_size;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  const ssize_t n = ::recvmsg(fd, &msg, 0);
  msg.msg_iov = nullptr;  // `iov` ends here; the control data stays valid
  msg.msg_iovlen = 0;
  if (n >= 0) read_queue_drops(msg, counters);
  return n;
}

result<void> attach(int fd, const bpf_program& program) {
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  const_cast<sock_filter*>(program.data())};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0)
    return std::error_code(errno, std::generic_category());
  return success();
}

}  // namespace lbha::heartbeat
