// vip / rip edits as pure functions on a ClusterConfig, so what a command
// line does to the config is unit-tested without a daemon (vip_commands.cpp
// and rip_commands.cpp only collect the options and commit the result).
//
// Options arrive as a map from option name (without "--") to the text given:
// only options the operator wrote are present, which is what `modify` needs.
// Every error is one line naming the bad value, e.g.
//   invalid --weight 300: must be 0..256
//   unknown virtual service NOPE (known: IIS_VIP, DA_VIP)
// Semantic rules across the whole config (duplicate ip:port, ...) are left to
// config::validate, run by the commit path.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lbha/v1/config.pb.h"

namespace lbha::cli {

using field_map = std::map<std::string, std::string>;

// The option names each kind of edit accepts (in --help order).
const std::vector<std::string>& vip_field_names();
const std::vector<std::string>& rip_field_names();
// Each option's help (lbctl's --help, the WebUI's forms).
const std::map<std::string, std::string>& vip_field_help();
const std::map<std::string, std::string>& rip_field_help();

// "" on success, else the one-line error. add requires --ip and --ports
// (vip) or --ip (rip); modify changes only the given fields.
std::string add_vip(v1::ClusterConfig& config, const std::string& label, const field_map& fields);
std::string modify_vip(v1::ClusterConfig& config, const std::string& label,
                       const field_map& fields);
std::string delete_vip(v1::ClusterConfig& config, const std::string& label);

std::string add_rip(v1::ClusterConfig& config, const std::string& vip_label,
                    const std::string& label, const field_map& fields);
std::string modify_rip(v1::ClusterConfig& config, const std::string& vip_label,
                       const std::string& label, const field_map& fields);
std::string delete_rip(v1::ClusterConfig& config, const std::string& vip_label,
                       const std::string& label);

// The virtual service with `label`, or nullptr.
v1::VirtualService* find_vip(v1::ClusterConfig& config, const std::string& label);

// "unknown virtual service X (known: A, B)".
std::string unknown_vip(const v1::ClusterConfig& config, const std::string& label);

// The real server with `label` in `service`, or nullptr.
v1::RealServer* find_rip(v1::VirtualService& service, const std::string& label);

// "unknown real server X in VIP (known: A, B)".
std::string unknown_rip(const v1::VirtualService& service, const std::string& label);

// The rows of `lbctl vip list` / `lbctl rip list VIP`, the header first (the
// WebUI's services page shows the same columns).
std::vector<std::vector<std::string>> vip_list_rows(const v1::ClusterConfig& config);
std::vector<std::vector<std::string>> rip_list_rows(const v1::VirtualService& service);

// `lbctl vip list` / `lbctl rip list VIP` tables.
std::string render_vip_list(const v1::ClusterConfig& config);
std::string render_rip_list(const v1::VirtualService& service);

}  // namespace lbha::cli
