// SNMP object identifiers and the values lbha's subagent serves, as plain
// C++ (no net-snmp type), so that the MIB's layout and the traps are pure
// functions tested without an agent; netsnmp_agent.cpp converts at the seam.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace lbha::snmp {

// std::vector's ordering is lexicographic, which is SNMP's ordering of
// OIDs: an oid_map iterates in the order GETNEXT walks.
using oid = std::vector<std::uint32_t>;

// prefix.arcs...: child(lbha_root, {1, 1, 0}).
oid child(oid prefix, std::initializer_list<std::uint32_t> arcs);

// "1.3.6.1.3.6694.1.1.0".
std::string to_string(const oid& id);

// The SMIv2 types LBHA-MIB uses. TruthValue and enumerations are integer32;
// Unsigned32 is gauge32 (the same tag on the wire); OCTET STRING (and
// DisplayString) is std::string.
struct integer32 {
  std::int32_t value = 0;
  bool operator==(const integer32&) const = default;
};
struct gauge32 {
  std::uint32_t value = 0;
  bool operator==(const gauge32&) const = default;
};
struct counter64 {
  std::uint64_t value = 0;
  bool operator==(const counter64&) const = default;
};
using value = std::variant<integer32, gauge32, counter64, std::string>;

// SMIv2's TruthValue: true(1), false(2).
integer32 truth(bool b);

struct varbind {
  oid name;
  snmp::value value;
  bool operator==(const varbind&) const = default;
};

// Every instance the subagent answers for, in walk order.
using oid_map = std::map<oid, value>;

// A notification: its snmpTrapOID and its OBJECTS, in the MIB's order.
struct notification {
  oid trap;
  std::vector<varbind> objects;
  bool operator==(const notification&) const = default;
};

}  // namespace lbha::snmp
