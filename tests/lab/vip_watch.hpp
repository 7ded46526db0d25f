// Who holds each VIP, from the kernel's own address events on every LB node.
//
// One NETLINK_ROUTE socket per node, made in the node's network namespace and
// subscribed to RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR (what `ip monitor
// address` reads), and one thread that reads them all and timestamps every
// RTM_NEWADDR / RTM_DELADDR with steady_clock as it arrives. The constructor
// first subscribes, then dumps each node's addresses (RTM_GETADDR), so the
// state at start is known and no event between the two is lost. A lost event
// (ENOBUFS: the socket overflowed) makes the thread dump that node again; the
// timeline says so.
//
// From the events it keeps, per VIP, the longest interval during which two or
// more nodes held it at once (dual owner) and during which none did (no
// owner), since start or the last reset(); an interval still open counts up
// to now. The timeline ("+1523ms lb2 add 192.0.2.100 eth0") is for failure
// messages.
//
// Thread-safe: the reader thread and the test thread share the state under a
// mutex. The destructor (or stop()) joins the thread and closes the sockets.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace lbha::lab {

class lab;

struct watched_node {
  std::string name;   // "lb1"
  std::string netns;  // its network namespace
};

struct vip_event {
  std::chrono::steady_clock::time_point at;
  std::string node;
  std::string vip;
  std::string what;  // "add", "del", "at start: held", "resync after lost events (ENOBUFS): gone"
  std::string interface;
};

struct vip_ownership {
  std::string vip;
  std::vector<std::string> owners;          // now, sorted
  std::chrono::milliseconds dual_owner{0};  // longest interval held by two nodes or more
  std::chrono::milliseconds no_owner{0};    // longest interval held by none
};

class vip_watch {
 public:
  // VIPs as text ("192.0.2.100", "2001:db8::100"); throws lab_error when a
  // socket cannot be made or a VIP is not an address.
  vip_watch(std::vector<watched_node> nodes, const std::vector<std::string>& vips);
  // The named LB nodes of a lab.
  vip_watch(const lab& l, const std::vector<std::string>& node_names,
            const std::vector<std::string>& vips);
  ~vip_watch();
  vip_watch(const vip_watch&) = delete;
  vip_watch& operator=(const vip_watch&) = delete;

  // Joins the reader; the numbers stay readable (intervals end at stop time).
  void stop();
  // Measures from now on (current owners kept, longest intervals and timeline cleared).
  void reset();

  std::vector<vip_ownership> ownership() const;  // one per VIP, in the order given
  vip_ownership ownership(const std::string& vip) const;
  // The largest dual-owner / no-owner interval over all VIPs.
  std::chrono::milliseconds worst_dual_owner() const;
  std::chrono::milliseconds worst_no_owner() const;
  // Every event since start (or reset), one per line, times relative to it.
  std::string timeline() const;

 private:
  struct vip_state {
    std::map<std::string, std::set<int>> holders;  // node -> interface indexes holding it
    std::chrono::steady_clock::time_point since;   // when the owner count last crossed 0/1/2
    std::chrono::milliseconds longest_dual{0};
    std::chrono::milliseconds longest_none{0};
  };
  struct node_socket {
    watched_node node;
    int fd = -1;
  };

  void run();
  void read_node(node_socket& n);
  void resync(const node_socket& n, const char* why);
  struct interface_ref {
    int index = 0;
    std::string name;  // "eth0", or "if<index>" when the kernel gave no label (IPv6)
  };
  void apply(const std::string& node, const std::string& vip, const interface_ref& where, bool add,
             const std::string& what, std::chrono::steady_clock::time_point at);
  vip_ownership ownership_locked(const std::string& vip,
                                 std::chrono::steady_clock::time_point now) const;
  std::chrono::steady_clock::time_point now_locked() const;

  std::vector<node_socket> sockets_;
  std::vector<std::string> vips_;  // normalized text, in the order given
  int stop_fd_ = -1;               // eventfd that wakes the reader to stop
  std::thread reader_;

  mutable std::mutex mutex_;
  std::map<std::string, vip_state> state_;
  std::vector<vip_event> events_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point stopped_{};  // set by stop()
};

}  // namespace lbha::lab
