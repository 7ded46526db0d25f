#include "snmp/status_feed.hpp"

#include "snmp/mib.hpp"
#include "snmp/trap_events.hpp"

namespace lbha::snmp {

void status_feed::on_read(const web::node_read& read) {
  auto now = status_of(read);
  session_.publish(std::make_shared<const oid_map>(mib::values_of(now)));
  ++snapshots_;
  if (known_) {
    for (const auto& event : trap_events(*known_, now)) {
      session_.notify(notification_of(event, now));
    }
    known_ = with_last_known(*known_, std::move(now));
  } else {
    known_ = std::move(now);
  }
}

}  // namespace lbha::snmp
