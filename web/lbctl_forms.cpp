#include "web/lbctl_forms.hpp"

#include <openssl/sha.h>

#include "cli/config_edit.hpp"

namespace lbha::web {

namespace {

std::string field(const form_fields& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

// A word a shell would take as it is.
bool plain_word(std::string_view word) {
  if (word.empty()) return false;
  for (char c : word) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-_.,:/=@+%").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const std::vector<edit_form>& edit_forms() {
  static const std::vector<edit_form> forms{
      {edit_kind::vip_add, "/lbadmin/services/vip/add", "Add a virtual service", "add", false, true,
       true},
      {edit_kind::vip_modify, "/lbadmin/services/vip/modify", "Modify a virtual service", "modify",
       false, false, true},
      {edit_kind::vip_delete, "/lbadmin/services/vip/delete", "Delete a virtual service", "delete",
       false, false, false},
      {edit_kind::rip_add, "/lbadmin/services/rip/add", "Add a real server", "add", true, true,
       true},
      {edit_kind::rip_modify, "/lbadmin/services/rip/modify", "Modify a real server", "modify",
       true, false, true},
      {edit_kind::rip_delete, "/lbadmin/services/rip/delete", "Delete a real server", "delete",
       true, false, false},
  };
  return forms;
}

const edit_form* edit_form_at(std::string_view path) {
  for (const auto& form : edit_forms()) {
    if (form.path == path) return &form;
  }
  return nullptr;
}

const std::vector<std::string>& field_names(const edit_form& form) {
  static const std::vector<std::string> none;
  if (!form.has_fields) return none;
  return form.real_server ? cli::rip_field_names() : cli::vip_field_names();
}

std::string field_help(const edit_form& form, const std::string& name) {
  const auto& help = form.real_server ? cli::rip_field_help() : cli::vip_field_help();
  auto it = help.find(name);
  return it == help.end() ? std::string() : it->second;
}

std::optional<std::vector<std::string>> lbctl_args(const edit_form& form, const form_fields& fields,
                                                   bool dry_run, std::string& error) {
  std::vector<std::string> labels;
  if (form.real_server || !form.names_new_label) labels.push_back(field(fields, "vip"));
  if (form.real_server) labels.push_back(field(fields, form.names_new_label ? "label" : "rip"));
  if (!form.real_server && form.names_new_label) labels.push_back(field(fields, "label"));
  for (const auto& label : labels) {
    if (label.empty()) {
      error = form.names_new_label ? "the new label is missing"
                                   : "which service or real server? (the label is missing)";
      return std::nullopt;
    }
  }
  std::vector<std::string> args{form.real_server ? "rip" : "vip", std::string(form.verb)};
  for (const auto& name : field_names(form)) {
    const auto value = field(fields, name);
    if (!value.empty()) args.push_back("--" + name + "=" + value);
  }
  if (dry_run) args.emplace_back("--dry-run");
  args.emplace_back("--");
  args.insert(args.end(), labels.begin(), labels.end());
  return args;
}

std::string preview_digest(std::string_view dry_run_output) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(dry_run_output.data()), dry_run_output.size(),
         digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 0xf];
  }
  return out;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string out = "lbctl";
  bool after_end = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--" && !after_end) {
      after_end = true;
      // Shown only when a label after it would otherwise read as an option.
      bool needed = false;
      for (std::size_t j = i + 1; j < args.size(); ++j) needed |= args[j].starts_with('-');
      if (!needed) continue;
    }
    out += ' ';
    if (plain_word(arg)) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace lbha::web
