# tests/install/harness.sh: two booted Debian 12 machines on a lab network, for
# the install test (tests/install/run). Sourced, not run. Needs root,
# debootstrap and systemd-nspawn (scripts/install-deps installs both).
#
#   ensure_rootfs            the cached base rootfs ($rootfs): debootstrap once per package list
#   net_up                   namespaces <prefix>-sw (bridge br0), -lb1, -lb2, -ping; 192.0.2.0/24
#   boot NODE                an overlay of $rootfs booted with systemd-nspawn -b in NODE's netns
#   on NODE CMD...           run CMD inside NODE (nsenter into its PID 1's namespaces)
#   teardown                 power off, unmount, delete namespaces (the EXIT trap)
#
# Names: every namespace, machine and directory of a run carries the prefix
# lbhi<pid> (pid = the run's shell), never the lab's lbha<pid>x<n>, so runs and
# the lab never share a name. A run that was killed cannot tear down; the next
# run removes what a dead owner left (cleanup_stale).

install_base=/tmp/lbha-install
prefix=lbhi$$
run_dir=$install_base/$prefix
nodes=(lb1 lb2)
declare -A address=([lb1]=192.0.2.1 [lb2]=192.0.2.2 [ping]=192.0.2.254)
declare -A leader=() nspawn_pid=()

# The base rootfs: Debian 12 minbase with systemd as init, sshd, and every
# runtime library lbha links (apt inside the machines has no mirror, so
# `apt install ./lbha_*.deb` must find every dependency already installed).
# Keep in step with debian/control's Depends (shlibs resolve to these).
rootfs_packages=(
  systemd systemd-sysv dbus iproute2 iputils-ping openssh-server openssh-client procps
  passwd man-db bash-completion
  libgrpc++1.51 libgrpc29 libprotobuf32 libssh-4 libspdlog1.10 libfmt9 libyaml-cpp0.7
  libssl3 libmnl0 libsystemd0 libcap2
  # lbha-webd's SNMP subagent (net-snmp's agent library) and what it pulls in
  libsnmp40
)
# Bump when the preparation below changes: the key names the cache directory.
rootfs_format=1
rootfs_cache=/var/cache/lbha/install-rootfs
rootfs_key=$(printf '%s\n' bookworm minbase "$rootfs_format" "${rootfs_packages[@]}" |
  sha256sum | cut -c1-16)
rootfs=$rootfs_cache/$rootfs_key

log() { echo "install-test: $*"; }
now_ms() { date +%s%3N; }

debian_mirror() {
  # The same mirror this machine's apt uses (deb822 or one-line format).
  local m
  m=$(sed -n 's/^URIs: *\(.*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
    head -n1)
  [ -n "$m" ] || m=$(sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\/debian\) bookworm .*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | head -n1)
  echo "${m:-http://deb.debian.org/debian}"
}

ensure_rootfs() {
  mkdir -p "$rootfs_cache"
  exec {lock}>"$rootfs_cache/.lock"
  flock "$lock"   # a concurrent run builds it once, the other waits
  if [ ! -e "$rootfs/.complete" ]; then
    local tmp=$rootfs_cache/.build-$$ list
    list=$(IFS=,; echo "${rootfs_packages[*]}")
    rm -rf "$tmp"
    log "debootstrap bookworm into $rootfs (once per package list; log: $rootfs_cache/debootstrap.log)"
    if ! debootstrap --variant=minbase --include="$list" bookworm "$tmp" "$(debian_mirror)" \
      >"$rootfs_cache/debootstrap.log" 2>&1; then
      tail -n 20 "$rootfs_cache/debootstrap.log"
      rm -rf "$tmp"
      flock -u "$lock"
      return 1
    fi
    # Per-machine identity is made at each boot (boot below), not shared through the cache.
    rm -f "$tmp"/etc/ssh/ssh_host_*_key* "$tmp/etc/hostname"
    : >"$tmp/etc/machine-id"
    echo 'APT::Install-Recommends "false";' >"$tmp/etc/apt/apt.conf.d/90lbha-install-test"
    rm -rf "$tmp"/var/cache/apt/archives/*.deb
    # Older caches (another package list) are no longer used.
    find "$rootfs_cache" -mindepth 1 -maxdepth 1 -type d ! -name "$rootfs_key" ! -name ".build-*" \
      -exec rm -rf {} +
    rm -rf "$rootfs"
    mv "$tmp" "$rootfs"
    touch "$rootfs/.complete"
  fi
  flock -u "$lock"
}

# Namespaces, mounts and machines of runs whose owner is gone.
cleanup_stale() {
  local dir owner ns
  for dir in "$install_base"/lbhi*; do
    [ -d "$dir" ] || continue
    owner=${dir##*/lbhi}
    [ -d "/proc/$owner" ] && continue
    for pidfile in "$dir"/*.leader "$dir"/*.nspawn; do
      [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
    done
    sleep 0.2
    for m in "$dir"/*/root; do umount -l "$m" 2>/dev/null; done
    rm -rf "$dir"
    rmdir /run/systemd/nspawn/propagate/"lbhi$owner"-* 2>/dev/null
  done
  for ns in $(ip netns list | awk '{print $1}' | grep -E '^lbhi[0-9]+-'); do
    owner=${ns#lbhi}; owner=${owner%%-*}
    [ -d "/proc/$owner" ] && continue
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}

# The switch namespace holds the bridge; each node's eth0 is a veth whose other
# end is a port of it. No default route anywhere: nothing leaves the lab.
net_up() {
  local sw=$prefix-sw n
  ip netns add "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  for n in "${nodes[@]}" ping; do
    ip netns add "$prefix-$n"
    ip -n "$prefix-$n" link set lo up
    ip -n "$sw" link add "$n" type veth peer name eth0 netns "$prefix-$n"
    ip -n "$sw" link set "$n" master br0 up
    ip -n "$prefix-$n" addr add "${address[$n]}/24" dev eth0
    ip -n "$prefix-$n" link set eth0 up
  done
}

# Boots NODE: an overlay over the cached rootfs (the cache stays untouched),
# its own hostname, machine-id and sshd host keys, systemd as PID 1.
# CAP_NET_ADMIN, which nspawn drops by default, is what a real machine gives
# heartbeatd for the VIPs; the machine has its own network namespace.
boot() {
  local n=$1 dir=$run_dir/$1 i
  mkdir -p "$dir/upper" "$dir/work" "$dir/root"
  mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
  echo "$n" >"$dir/root/etc/hostname"
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/root/etc/machine-id"
  chroot "$dir/root" ssh-keygen -A >/dev/null
  setsid systemd-nspawn -b --register=no --keep-unit --quiet -D "$dir/root" -M "$prefix-$n" \
    --hostname="$n" --network-namespace-path="/run/netns/$prefix-$n" --capability=CAP_NET_ADMIN \
    >"$dir/console.log" 2>&1 </dev/null &
  nspawn_pid[$n]=$!
  echo "${nspawn_pid[$n]}" >"$run_dir/$n.nspawn"
  # The machine's PID 1 is the child of nspawn that is pid 1 in its own PID
  # namespace (nspawn's short-lived intermediate child is not).
  leader[$n]=
  for i in $(seq 100); do
    for c in $(pgrep -P "${nspawn_pid[$n]}"); do
      awk '$1 == "NSpid:" && NF > 2 && $NF == 1 { found = 1 } END { exit !found }' \
        "/proc/$c/status" 2>/dev/null && leader[$n]=$c
    done
    [ -n "${leader[$n]}" ] && break
    sleep 0.1
  done
  [ -n "${leader[$n]}" ] || { log "$n: systemd-nspawn did not start"; cat "$dir/console.log"; return 1; }
  echo "${leader[$n]}" >"$run_dir/$n.leader"
}

# Waits until NODE's systemd has finished booting ("running", or "degraded" naming what failed).
wait_booted() {
  local n=$1 state
  for _ in $(seq 60); do
    [ -e "/proc/${leader[$n]}/root/run/systemd/private" ] && break
    sleep 0.5
  done
  state=$(on "$n" timeout 60 systemctl is-system-running --wait)
  case $state in
    running) return 0 ;;
    degraded) log "$n: degraded: $(on "$n" systemctl --failed --no-legend --plain | awk '{print $1}' | xargs)"; return 0 ;;
    *) log "$n: systemd state '$state'"; cat "$run_dir/$n/console.log"; return 1 ;;
  esac
}

# Runs a command inside NODE as root with a login-like environment.
on() {
  local n=$1; shift
  nsenter -t "${leader[$n]}" -a -r -w -- /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}

# The host path of NODE's / (its overlay), to copy files in.
root_of() { echo "$run_dir/$1/root"; }

power_off() {
  local n=$1
  [ -n "${nspawn_pid[$n]:-}" ] || return 0
  if kill -0 "${nspawn_pid[$n]}" 2>/dev/null; then
    on "$n" systemctl poweroff >/dev/null 2>&1
    for _ in $(seq 100); do
      kill -0 "${nspawn_pid[$n]}" 2>/dev/null || break
      sleep 0.1
    done
    # Still up after 10 s: killing PID 1 ends every process of the machine.
    kill -9 "${leader[$n]}" 2>/dev/null
    for _ in $(seq 50); do
      kill -0 "${nspawn_pid[$n]}" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "${nspawn_pid[$n]}" 2>/dev/null
  fi
  wait "${nspawn_pid[$n]}" 2>/dev/null
  unset "nspawn_pid[$n]"
}

teardown() {
  local n
  for n in "${nodes[@]}"; do power_off "$n"; done
  for n in "${nodes[@]}"; do
    umount "$run_dir/$n/root" 2>/dev/null || umount -l "$run_dir/$n/root" 2>/dev/null
    rmdir "/run/systemd/nspawn/propagate/$prefix-$n" 2>/dev/null
  done
  for n in "${nodes[@]}" ping sw; do ip netns del "$prefix-$n" 2>/dev/null; done
  [ -n "${keep_logs:-}" ] || rm -rf "$run_dir"
}
