// The Virtual Services page (the seed's "Cluster Configuration > Layer 7 -
// Virtual Services") and its add / modify / delete forms for virtual
// services and real servers.
//
// The list shows what `lbctl vip list` and `lbctl rip list` show, from the
// committed cluster.yaml. Each form is an lbctl command (lbctl_forms.hpp):
// Preview runs it with --dry-run and shows lbctl's diff (or its error), Commit
// runs it. Pure functions of what was read and run, tested without a daemon.
#pragma once

#include <string>
#include <string_view>

#include "lbha/v1/config.pb.h"
#include "web/lbctl_forms.hpp"
#include "web/node_operations.hpp"
#include "web/page_layout.hpp"

namespace lbha::web {

std::string render_services_page(const node_operations::config_read& read,
                                 const page_viewer& viewer, std::string_view node,
                                 const page_notice& notice);

// What a form page shows besides its inputs.
struct form_page_state {
  form_fields submitted;  // the inputs as the viewer left them
  std::string current;    // the item's settings as committed ("" for add)
  std::string command;    // the lbctl command that ran ("" on the first GET)
  page_notice output;     // what it printed
  std::string previewed;  // preview_digest of a good Preview: the form offers Commit
};

// The form (`<form id="vip-form">` or `"rip-form"`): the labels, one input per
// lbctl option with lbctl's help, Preview (`#preview`), and after a good
// Preview, Commit (`#commit`, with the preview's digest).
std::string render_form_page(const edit_form& form, const form_page_state& state,
                             const page_viewer& viewer, std::string_view node);

// An item's settings as cluster.yaml writes them, every default filled in
// (what a modify or delete form shows as "now"); "" when it is not there.
std::string describe_virtual_service(const v1::ClusterConfig& config, const std::string& vip);
std::string describe_real_server(const v1::ClusterConfig& config, const std::string& vip,
                                 const std::string& rip);

}  // namespace lbha::web
