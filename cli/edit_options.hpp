// Registers a config edit's --field options on a CLI11 subcommand and gives
// back only those the operator wrote (config_edit.hpp's field_map), which is
// what lets `modify` change one field and leave the others alone.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "cli/config_edit.hpp"

namespace lbha::cli {

class edit_options {
 public:
  // `help` gives each field's description, in the order of `names`.
  void add_to(CLI::App& command, const std::vector<std::string>& names,
              const std::map<std::string, std::string>& help) {
    for (const auto& name : names) {
      auto it = help.find(name);
      options_[name] = command.add_option("--" + name, values_[name],
                                          it == help.end() ? std::string() : it->second);
    }
  }

  field_map given() const {
    field_map fields;
    for (const auto& [name, option] : options_) {
      if (option->count() > 0) fields[name] = values_.at(name);
    }
    return fields;
  }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, CLI::Option*> options_;
};

}  // namespace lbha::cli
