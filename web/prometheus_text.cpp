#include "web/prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "common/error_category.hpp"

namespace lbha::web {
namespace {

std::string_view describe(prometheus_errc e) {
  switch (e) {
    case prometheus_errc::invalid_metric_name:
      return "invalid metric name";
    case prometheus_errc::invalid_label_name:
      return "invalid label name";
    case prometheus_errc::counter_without_total:
      return "a counter's name must end in _total";
    case prometheus_errc::family_declared_twice:
      return "metric family declared twice";
    case prometheus_errc::unknown_family:
      return "sample of an undeclared metric family";
    case prometheus_errc::duplicate_label:
      return "label given twice in one sample";
    case prometheus_errc::duplicate_sample:
      return "the same label set twice in one metric family";
  }
  return "unknown prometheus text error";
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Integers from here on would not survive a trip through a double.
constexpr double exact_integer_limit = 9007199254740992.0;  // 2^53

template <typename Integer>
std::string integer_text(Integer value) {
  char buffer[24];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

std::string double_text(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // A whole number reads better as one ("3", not "3e+00"); -0 is 0.
  if (value == std::trunc(value) && std::fabs(value) < exact_integer_limit) {
    return integer_text(static_cast<std::int64_t>(value));
  }
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

}  // namespace

const std::error_category& prometheus_category() {
  static const enum_category<prometheus_errc> instance("lbha.web.prometheus", describe);
  return instance;
}

bool valid_metric_name(std::string_view name) {
  if (name.empty() || is_digit(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == ':'; });
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || is_digit(name.front())) return false;
  // Names starting with __ belong to Prometheus itself (__name__, __address__...).
  if (name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(const sample_value& value) {
  return std::visit(
      [](auto v) {
        if constexpr (std::is_same_v<decltype(v), double>) {
          return double_text(v);
        } else {
          return integer_text(v);
        }
      },
      value);
}

result<void> exposition::declare(std::string_view name, metric_type type, std::string_view help) {
  if (!valid_metric_name(name)) {
    return error(prometheus_errc::invalid_metric_name,
                 "invalid metric name '" + std::string(name) + "'");
  }
  if (type == metric_type::counter && !name.ends_with("_total")) {
    return error(prometheus_errc::counter_without_total,
                 "counter " + std::string(name) + " does not end in _total");
  }
  if (families_.contains(name)) {
    return error(prometheus_errc::family_declared_twice,
                 "metric family " + std::string(name) + " declared twice");
  }
  families_.emplace(std::string(name), family{type, std::string(help), {}, {}});
  return success();
}

result<void> exposition::add(std::string_view name, const label_set& labels, sample_value value) {
  auto found = families_.find(name);
  if (found == families_.end()) {
    return error(prometheus_errc::unknown_family,
                 "sample of undeclared metric family " + std::string(name));
  }
  auto& fam = found->second;
  for (const auto& [label, _] : labels) {
    if (!valid_label_name(label)) {
      return error(prometheus_errc::invalid_label_name,
                   "invalid label name '" + label + "' in " + std::string(name));
    }
  }
  // Prometheus identifies a series by its label set, whatever the order the
  // labels are printed in, so duplicates are found on the sorted set.
  label_set sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].first == sorted[i - 1].first) {
      return error(prometheus_errc::duplicate_label,
                   "label " + sorted[i].first + " twice in " + std::string(name));
    }
  }
  auto render = [](const label_set& set) {
    std::string text;
    for (const auto& [label, label_value] : set) {
      text += text.empty() ? "{" : ",";
      text += label + "=\"" + escape_label_value(label_value) + "\"";
    }
    return text.empty() ? text : text + "}";
  };
  if (!fam.label_keys.insert(render(sorted)).second) {
    return error(prometheus_errc::duplicate_sample,
                 "sample " + std::string(name) + render(labels) + " given twice");
  }
  fam.lines.push_back(std::string(name) + render(labels) + " " + format_value(value));
  return success();
}

std::string exposition::text() const {
  std::string out;
  for (const auto& [name, fam] : families_) {
    if (fam.lines.empty()) continue;
    out += "# HELP " + name + " " + escape_help(fam.help) + "\n";
    out += "# TYPE " + name + (fam.type == metric_type::counter ? " counter" : " gauge") + "\n";
    for (const auto& line : fam.lines) out += line + "\n";
  }
  return out;
}

}  // namespace lbha::web
