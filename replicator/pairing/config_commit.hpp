// The rules for committing and accepting cluster.yaml.
//
// Every config change is committed on the primary: the proposed config is
// validated, gets generation = current + 1 and the primary's term, and is
// written atomically. A node accepts a pushed or fetched config only when it
// is valid and either of a higher term (its author took over as the
// authority, `lbctl replication take-over`, and whatever this node did under
// the old term is stale, whatever its generation) or of the same term and a
// strictly newer generation; anything else is refused and the old config
// stays in force. The decisions are pure functions so they are tested
// without files; load/store do the I/O.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "lbha/v1/config.pb.h"
#include "replicator/pairing/errc.hpp"

namespace lbha::pairing {

// The config a node starts from before anything was committed: generation 0, defaults filled.
lbha::v1::ClusterConfig empty_cluster_config();

// The config to write on the primary: `proposed` with defaults, generation
// current+1 and term max(current.term, primary_term). Fails with every
// validation error, one per line.
result<lbha::v1::ClusterConfig> prepare_commit(const lbha::v1::ClusterConfig& current,
                                               lbha::v1::ClusterConfig proposed,
                                               std::uint64_t primary_term);

// Whether a node holding `current` may apply `incoming`: valid, and either a
// higher term (a node that took over; any generation) or the same term and a
// strictly newer generation. An older term is always refused.
result<void> check_incoming(const lbha::v1::ClusterConfig& current,
                            const lbha::v1::ClusterConfig& incoming);

// <config_dir>/cluster.yaml
std::filesystem::path cluster_config_path(const std::filesystem::path& config_dir);

// Reads cluster.yaml; a missing file is empty_cluster_config().
result<lbha::v1::ClusterConfig> load_cluster(const std::filesystem::path& path);

// Only the generation and term of cluster.yaml (the rest of the result is
// empty): what commit and accept compare. Reads the two top-level lines that
// to_yaml writes first instead of parsing the whole document (~0.3 s for
// 1,000 virtual services); falls back to load_cluster when the file is not
// laid out that way (hand-written flow style, a key missing or repeated).
result<lbha::v1::ClusterConfig> load_cluster_header(const std::filesystem::path& path);

// Writes cluster.yaml atomically (temp file, fsync, rename, fsync dir).
result<void> store_cluster(const std::filesystem::path& path,
                           const lbha::v1::ClusterConfig& config);

}  // namespace lbha::pairing
