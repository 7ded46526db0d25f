// The WebUI's change forms as lbctl command lines.
//
// Every change a browser makes is an lbctl command run in process (cli/app.hpp)
// by lbha-webd: the form's fields become the command's options, so the
// browser gets lbctl's validation, lbctl's messages, its diff (`--dry-run`,
// the form's Preview) and its commit path (Commit, offered only after a
// Preview and refused when the diff has changed since) with nothing
// reimplemented.
// This file is the mapping, a pure function of the submitted fields:
//
//   vip add      LABEL     --<field>=<value>...      (every field lbctl's `vip add` has)
//   vip modify   VIP       --<field>=<value>...      (only the fields filled in)
//   vip delete   VIP
//   rip add      VIP LABEL --<field>=<value>...
//   rip modify   VIP RIP   --<field>=<value>...
//   rip delete   VIP RIP
//
// Values are passed as `--name=value` and the labels after `--`, so no text
// a browser sends can become an option of its own (a label "--dry-run" stays
// a label, a weight "-5" stays a weight and lbctl refuses it as it would).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lbha::web {

using form_fields = std::map<std::string, std::string>;

enum class edit_kind { vip_add, vip_modify, vip_delete, rip_add, rip_modify, rip_delete };

struct edit_form {
  edit_kind kind;
  std::string_view path;   // "/lbadmin/services/vip/add": GET shows it, POST runs it
  std::string_view title;  // "Add a virtual service"
  std::string_view verb;   // "add"
  bool real_server;        // rip: needs `vip` (and `rip` unless it adds one)
  bool names_new_label;    // add: the form has a `label` input
  bool has_fields;         // add and modify: the lbctl options as inputs
};

// Every form, in the order the services page links them.
const std::vector<edit_form>& edit_forms();
const edit_form* edit_form_at(std::string_view path);

// The option names the form offers as inputs (lbctl's, without "--"), and
// the help lbctl gives for each.
const std::vector<std::string>& field_names(const edit_form& form);
std::string field_help(const edit_form& form, const std::string& name);

// The lbctl arguments (after the global options) for the submitted fields:
// `vip` (the service), `rip` (the real server), `label` (a new one's label),
// and the option fields; an empty option field is left out (add: lbctl's
// default; modify: unchanged). `dry_run` adds --dry-run (Preview).
// nullopt with `error` set when a required label is missing.
std::optional<std::vector<std::string>> lbctl_args(const edit_form& form, const form_fields& fields,
                                                   bool dry_run, std::string& error);

// What a Preview showed, as a token the form carries to its Commit (hidden
// field `previewed`): the SHA-256 of lbctl's --dry-run output, in hex. A
// Commit first runs the dry run again and commits only when its output has
// this digest, so what commits is exactly the diff the viewer saw (not a
// form edited since, nor a config someone else changed meanwhile).
std::string preview_digest(std::string_view dry_run_output);

// The whole lbctl command line as an operator would type it (for the audit
// log and the page): `lbctl rip add DA_VIP DA3 --ip=192.0.2.23`, with
// shell quoting where a word needs it.
std::string command_line(const std::vector<std::string>& args);

}  // namespace lbha::web
