// The Prometheus text exposition format, version 0.0.4: what `/metrics`
// answers (Content-Type: text/plain; version=0.0.4).
//
// An exposition collects metric families (name, type, help) and their
// samples, then renders them in one go: families sorted by name, each once
// with its HELP and TYPE lines, samples in the order they were added; a
// family with no sample is left out, so a figure nobody could read is
// absent rather than zero. Names are checked as they are declared and label
// values and help are escaped as they are rendered, so whatever a daemon
// reports (a label with a quote in it) cannot break the page.
//
// Pure: no I/O and no clock (samples carry no timestamp: the scrape's time
// is right for a read of live counters).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace lbha::web {

// Named for this file rather than `errc`: lbha-webd's own errors will live
// in the same namespace.
enum class prometheus_errc {
  invalid_metric_name = 1,  // not [a-zA-Z_:][a-zA-Z0-9_:]*
  invalid_label_name,       // not [a-zA-Z_][a-zA-Z0-9_]*, or __reserved
  counter_without_total,    // a counter's name must end in _total
  family_declared_twice,    // each family is declared (and rendered) once
  unknown_family,           // a sample of a family never declared
  duplicate_label,          // one label name twice in a sample
  duplicate_sample,         // the same label set twice in a family
};

const std::error_category& prometheus_category();

inline std::error_code make_error_code(prometheus_errc e) {
  return {static_cast<int>(e), prometheus_category()};
}

enum class metric_type { counter, gauge };

// Integers are printed exactly (a 64-bit counter past 2^53 keeps every
// digit, which a double would round); doubles as the shortest text that
// reads back to the same value, with NaN, +Inf and -Inf spelt as Prometheus
// parses them.
using sample_value = std::variant<std::int64_t, std::uint64_t, double>;

// Label name and value, in the order they are printed.
using label_set = std::vector<std::pair<std::string, std::string>>;

class exposition {
 public:
  result<void> declare(std::string_view name, metric_type type, std::string_view help);
  result<void> add(std::string_view name, const label_set& labels, sample_value value);

  // The whole page, every line ending in "\n".
  std::string text() const;

 private:
  struct family {
    metric_type type;
    std::string help;
    std::vector<std::string> lines;    // rendered samples, in insertion order
    std::set<std::string> label_keys;  // each sample's labels, sorted: duplicates refused
  };
  std::map<std::string, family, std::less<>> families_;
};

bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

// Escaping as the format defines it: a label value escapes backslash,
// double quote and newline; help text escapes backslash and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
std::string format_value(const sample_value& value);

}  // namespace lbha::web

template <>
struct std::is_error_code_enum<lbha::web::prometheus_errc> : std::true_type {};
