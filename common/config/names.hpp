// The YAML spellings of lbha's enums, shared by the reader and the writer so
// that what to_yaml() writes is exactly what the reader accepts.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lbha/v1/config.pb.h"

namespace lbha::config::names {

using table = std::vector<std::pair<std::string, int>>;

inline const table garp_mode{{"request", v1::GarpPolicy::MODE_REQUEST},
                             {"reply", v1::GarpPolicy::MODE_REPLY}};
inline const table protocol{{"tcp", v1::PROTOCOL_TCP}};
inline const table balance{{"leastconn", v1::BALANCE_LEASTCONN},
                           {"roundrobin", v1::BALANCE_ROUNDROBIN},
                           {"source", v1::BALANCE_SOURCE}};
inline const table persistence_mode{{"none", v1::Persistence::MODE_NONE},
                                    {"source_ip", v1::Persistence::MODE_SOURCE_IP}};
inline const table check_type{{"connect", v1::HealthCheck::TYPE_CONNECT},
                              {"http", v1::HealthCheck::TYPE_HTTP},
                              {"https", v1::HealthCheck::TYPE_HTTPS},
                              {"external", v1::HealthCheck::TYPE_EXTERNAL},
                              {"none", v1::HealthCheck::TYPE_NONE}};
inline const table send_proxy{{"none", v1::SEND_PROXY_NONE},
                              {"v1", v1::SEND_PROXY_V1},
                              {"v2", v1::SEND_PROXY_V2}};
inline const table real_server_state{{"online", v1::REAL_SERVER_STATE_ONLINE},
                                     {"drain", v1::REAL_SERVER_STATE_DRAIN},
                                     {"halt", v1::REAL_SERVER_STATE_HALT}};
inline const table ping_method{{"icmp", v1::PingNode::METHOD_ICMP},
                               {"tcp", v1::PingNode::METHOD_TCP}};

// The YAML name of `number`; "" for UNSPECIFIED or an unknown number.
inline std::string name_of(const table& names, int number) {
  for (const auto& [name, value] : names) {
    if (value == number) return name;
  }
  return "";
}

// "a|b|c", for error messages.
inline std::string choices(const table& names) {
  std::string text;
  for (const auto& [name, value] : names) text += (text.empty() ? "" : "|") + name;
  return text;
}

}  // namespace lbha::config::names
