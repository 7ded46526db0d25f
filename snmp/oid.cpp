#include "snmp/oid.hpp"

namespace lbha::snmp {

oid child(oid prefix, std::initializer_list<std::uint32_t> arcs) {
  prefix.insert(prefix.end(), arcs);
  return prefix;
}

std::string to_string(const oid& id) {
  std::string out;
  for (const auto arc : id) {
    if (!out.empty()) out += '.';
    out += std::to_string(arc);
  }
  return out;
}

integer32 truth(bool b) { return {b ? 1 : 2}; }

}  // namespace lbha::snmp
