#!/usr/bin/env bash
# lab.sh up|down|status — six Debian servers on this machine for the production
# inventory: systemd-nspawn containers booted with systemd as PID 1, each in its
# own network namespace on a host bridge, reached over SSH as a sudo user.
#
#   up      build (once) and cache a Debian bookworm root filesystem and a local
#           package repository, then boot the hosts and write LAB_DIR/hosts.yml,
#           LAB_DIR/known_hosts and LAB_DIR/id_ed25519. Idempotent.
#   down    stop the hosts and remove every namespace, process, mount, cgroup,
#           veth and the bridge that `up` made. The hosts' disks stay in
#           LAB_DIR/hosts/ unless LAB_WIPE=1. Idempotent.
#   status  one line per host: its supervisor and container PIDs.
#
# Settings (environment):
#   LAB_DIR     state of this lab (default build/lab)
#   LAB_CACHE   root filesystem and package repository, shared by labs
#               (default build/lab-cache)
#   LAB_SUBNET  first three octets of the /24 (default 192.168.250); the bridge
#               is .1, the hosts are .211-.216 like the production servers
#   LAB_PREFIX  name prefix of bridge, veths, namespaces and cgroups, at most 5
#               characters (default fl); two labs need different prefixes
#   LAB_USER    the admin user Ansible logs in as (default deploy)
#
# Each host's root is an overlay: the cached root filesystem read-only below a
# per-host upper directory, so it survives a reboot of the container (nspawn
# exits 133 on reboot; the host's supervisor loop starts it again, as
# systemd-nspawn@.service's RestartForceExitStatus=133 does).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$here/../.." && pwd)

LAB_DIR=${LAB_DIR:-$repo_root/build/lab}
LAB_CACHE=${LAB_CACHE:-$repo_root/build/lab-cache}
LAB_SUBNET=${LAB_SUBNET:-192.168.250}
LAB_PREFIX=${LAB_PREFIX:-fl}
LAB_USER=${LAB_USER:-deploy}
LAB_HOSTS=(211 212 213 214 215 216)

# Bump when the root filesystem's contents below change: the cache is rebuilt.
ROOTFS_VERSION=6
SUITE=bookworm
MIRROR=${LAB_MIRROR:-http://deb.debian.org/debian}
# Minimal servers: systemd, sshd, sudo and Python for Ansible, apt for the roles.
ROOTFS_INCLUDE=systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,python3,sudo,iproute2,procps,ca-certificates
# What the roles install through the OS package manager (python3-apt: Ansible's
# apt module installs it first), downloaded once into
# the local repository (the containers reach no registry).
REPO_PACKAGES=(openjdk-17-jre-headless python3-apt)
# Where the containers see the repository (bind-mounted read-only).
REPO_MOUNT=/srv/fabrun-lab-repo
HOST_PACKAGES=(debootstrap systemd-container dpkg-dev iproute2 openssh-client)

ROOTFS=$LAB_CACHE/rootfs
REPO=$LAB_CACHE/repo
bridge=${LAB_PREFIX}-br
cg_name=fabrun-lab-$LAB_PREFIX
# Hierarchies where each container gets its own child cgroup: systemd's own
# (named v1 hierarchy, or the unified one). Six containers in one cgroup
# break each other's units (status=219/CGROUP).
cg_roots=()
for d in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
  [ -d "$d" ] && cg_roots+=("$d")
done
[ -f /sys/fs/cgroup/cgroup.controllers ] && cg_roots=(/sys/fs/cgroup)

log() { echo "lab: $*" >&2; }
die() { echo "lab: error: $*" >&2; exit 1; }

check_settings() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces, mounts, cgroups)"
  [[ $LAB_PREFIX =~ ^[a-z][a-z0-9]{0,4}$ ]] || die "LAB_PREFIX '$LAB_PREFIX': 1-5 of [a-z0-9], starting with a letter"
  [[ $LAB_SUBNET =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "LAB_SUBNET '$LAB_SUBNET': three octets, e.g. 192.168.250"
  [[ $LAB_SUBNET != 10.100.194 ]] || die "LAB_SUBNET 10.100.194 is the real servers' network"
  [[ $LAB_USER =~ ^[a-z][a-z0-9-]*$ ]] || die "LAB_USER '$LAB_USER': a user name"
}

host_name() { echo "server$1"; }
host_addr() { echo "$LAB_SUBNET.$1"; }
netns_name() { echo "$LAB_PREFIX-server$1"; }
veth_name() { echo "$LAB_PREFIX-v$1"; }
host_dir() { echo "$LAB_DIR/hosts/server$1"; }

# --- host packages --------------------------------------------------------

host_packages() {
  local missing=() p
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing host packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# --- root filesystem and package repository (cached) -----------------------

rootfs() {
  if [ "$(cat "$LAB_CACHE/rootfs.version" 2>/dev/null)" = "$ROOTFS_VERSION" ] && [ -d "$ROOTFS" ] && [ -f "$REPO/Packages" ]; then
    return 0
  fi
  # Overlays of a running lab sit on the old one.
  ! grep -q "lowerdir=$ROOTFS," /proc/mounts ||
    die "the cached root filesystem $ROOTFS is outdated but a running lab uses it: run its 'down' first"
  local t0=$SECONDS tmp=$LAB_CACHE/rootfs.tmp
  mountpoint -q "$tmp/proc" 2>/dev/null && umount "$tmp/proc"
  rm -rf "$tmp" "$REPO.tmp"
  mkdir -p "$LAB_CACHE"
  log "debootstrap $SUITE into $tmp"
  debootstrap --variant=minbase --include="$ROOTFS_INCLUDE" "$SUITE" "$tmp" "$MIRROR" > "$LAB_CACHE/debootstrap.log" 2>&1 ||
    die "debootstrap failed: see $LAB_CACHE/debootstrap.log"

  # The packages the roles install, with exactly the dependencies the root
  # filesystem lacks, downloaded by the root filesystem's own apt.
  log "downloading ${REPO_PACKAGES[*]} for the local repository"
  echo "deb $MIRROR $SUITE main" > "$tmp/etc/apt/sources.list"
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  chroot "$tmp" apt-get update -qq
  chroot "$tmp" apt-get clean # debootstrap's own packages stay out of the repository
  chroot "$tmp" apt-get install -y -qq --no-install-recommends --download-only "${REPO_PACKAGES[@]}" >/dev/null
  mkdir -p "$REPO.tmp"
  mv "$tmp"/var/cache/apt/archives/*.deb "$REPO.tmp/"
  (cd "$REPO.tmp" && dpkg-scanpackages --multiversion . > Packages 2>/dev/null && gzip -9kf Packages)
  chroot "$tmp" apt-get clean
  rm -rf "$tmp"/var/lib/apt/lists/*

  # Servers: only the local repository; no hostname of their own (nspawn's
  # --hostname applies); machine-id, SSH host keys and the admin user per
  # host (made at up); no periodic jobs.
  echo "deb [trusted=yes] file:$REPO_MOUNT ./" > "$tmp/etc/apt/sources.list"
  rm -f "$tmp/etc/hostname" "$tmp"/etc/ssh/ssh_host_*
  : > "$tmp/etc/resolv.conf"
  : > "$tmp/etc/machine-id"
  printf 'PasswordAuthentication no\nUseDNS no\n' > "$tmp/etc/ssh/sshd_config.d/lab.conf"
  local u
  for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer \
           systemd-timesyncd.service getty@tty1.service console-getty.service; do
    ln -sf /dev/null "$tmp/etc/systemd/system/$u"
  done
  rm -rf "$ROOTFS" "$REPO"
  mv "$REPO.tmp" "$REPO"
  mv "$tmp" "$ROOTFS"
  echo "$ROOTFS_VERSION" > "$LAB_CACHE/rootfs.version"
  log "root filesystem and repository ($(ls "$REPO" | grep -c '\.deb$') packages) cached in $((SECONDS - t0)) s"
}

# --- network ---------------------------------------------------------------

network_up() {
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$LAB_SUBNET.1/24" dev "$bridge"
  fi
  ip link set "$bridge" up
  local o ns veth
  for o in "${LAB_HOSTS[@]}"; do
    ns=$(netns_name "$o") veth=$(veth_name "$o")
    [ -e "/run/netns/$ns" ] || ip netns add "$ns"
    if ! ip link show "$veth" >/dev/null 2>&1; then
      ip link add "$veth" type veth peer name eth0 netns "$ns"
      ip -n "$ns" addr add "$(host_addr "$o")/24" dev eth0
    fi
    ip link set "$veth" master "$bridge" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route replace default via "$LAB_SUBNET.1"
  done
}

# --- hosts -----------------------------------------------------------------

# A host's disk: the cached root below its own upper directory, plus what is
# its own: machine-id, SSH host key, the admin user's authorized key.
host_root() {
  local o=$1 d root
  d=$(host_dir "$o") root=$(host_dir "$o")/root
  # A disk made on an older root filesystem starts again.
  if ! mountpoint -q "$root" && [ "$(cat "$d/rootfs.version" 2>/dev/null)" != "$ROOTFS_VERSION" ]; then
    rm -rf "$d/upper" "$d/work"
  fi
  mkdir -p "$d/upper" "$d/work" "$root"
  echo "$ROOTFS_VERSION" > "$d/rootfs.version"
  mountpoint -q "$root" ||
    mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$d/upper,workdir=$d/work" "$root"
  [ -s "$root/etc/machine-id" ] || systemd-id128 new > "$root/etc/machine-id"
  # Names resolve without DNS (sudo looks up its own host name).
  {
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n'
    local h
    for h in "${LAB_HOSTS[@]}"; do echo "$(host_addr "$h") $(host_name "$h")"; done
  } > "$root/etc/hosts"
  [ -f "$root/etc/ssh/ssh_host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C "$(host_name "$o")" -f "$root/etc/ssh/ssh_host_ed25519_key"
  if ! chroot "$root" id -u "$LAB_USER" >/dev/null 2>&1; then
    chroot "$root" useradd --create-home --shell /bin/bash "$LAB_USER"
    echo "$LAB_USER ALL=(ALL) NOPASSWD:ALL" > "$root/etc/sudoers.d/$LAB_USER"
    chmod 0440 "$root/etc/sudoers.d/$LAB_USER"
  fi
  local home=$root/home/$LAB_USER
  install -d -m 0700 "$home/.ssh"
  install -m 0600 "$LAB_DIR/id_ed25519.pub" "$home/.ssh/authorized_keys"
  chroot "$root" chown -R "$LAB_USER:$LAB_USER" "/home/$LAB_USER/.ssh"
}

# The supervisor of one host (run detached by `up`): boots the container in
# its own child cgroup and boots it again when it exits 133 (a reboot).
supervise() {
  local o=$1 name ns root rc
  name=$(host_name "$o") ns=$(netns_name "$o") root=$(host_dir "$o")/root
  while :; do
    (
      for r in "${cg_roots[@]}"; do
        mkdir -p "$r/$cg_name/$name"
        echo "$BASHPID" > "$r/$cg_name/$name/cgroup.procs"
      done
      exec systemd-nspawn --quiet --boot --register=no --keep-unit --console=passive \
        --directory="$root" --machine="$name" --hostname="$name" \
        --network-namespace-path="/run/netns/$ns" \
        --bind-ro="$REPO:$REPO_MOUNT" \
        --link-journal=no
    ) &
    echo $! > "$(host_dir "$o")/nspawn.pid"
    rc=0
    wait $! || rc=$?
    echo "lab: $name: systemd-nspawn exited $rc" >&2
    [ "$rc" = 133 ] || break
  done
  rm -f "$(host_dir "$o")/nspawn.pid"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { cat "$1" 2>/dev/null || true; }

host_up() {
  local o=$1 d
  d=$(host_dir "$o")
  alive "$(pid_of "$d/supervisor.pid")" && return 0
  host_root "$o"
  setsid "$0" _supervise "$o" < /dev/null >> "$d/console.log" 2>&1 &
  echo $! > "$d/supervisor.pid"
}

# Waits until sshd answers with the host key we made, as the admin user with sudo.
wait_ssh() {
  local o=$1 i
  for i in $(seq 1 120); do
    if ssh "${ssh_opts[@]}" "$LAB_USER@$(host_addr "$o")" sudo -n true 2>/dev/null; then
      return 0
    fi
    alive "$(pid_of "$(host_dir "$o")/supervisor.pid")" ||
      die "$(host_name "$o") stopped: see $(host_dir "$o")/console.log"
    sleep 0.5
  done
  die "$(host_name "$o"): no SSH login after 60 s: see $(host_dir "$o")/console.log"
}

known_hosts() {
  local o
  for o in "${LAB_HOSTS[@]}"; do
    echo "$(host_addr "$o") $(cut -d' ' -f1,2 < "$(host_dir "$o")/root/etc/ssh/ssh_host_ed25519_key.pub")"
  done > "$LAB_DIR/known_hosts"
}

# The production inventory's shape with this lab's addresses: hosts.yml is
# inventory/production/hosts.yml with the addresses rewritten; group_vars
# links production's files, and group_vars/all/ adds lab.yml after
# production's all.yml (later files win): the lab's SSH user and key, its
# known_hosts, and the controller's directories (also for the controller's
# own plays, which host_vars would not reach).
inventory() {
  local prod=$repo_root/inventory/production
  rm -rf "$LAB_DIR/hosts.yml" "$LAB_DIR/group_vars"
  {
    echo "# Written by tools/lab/lab.sh from inventory/production/hosts.yml with the lab's"
    echo "# addresses ($LAB_SUBNET.x); settings: group_vars/ (production's, plus all/lab.yml)."
    sed -E "s/^( *ansible_host: )10\.100\.194\.([0-9]+)/\1$LAB_SUBNET.\2/" "$prod/hosts.yml"
  } > "$LAB_DIR/hosts.yml"
  ! grep -q '10\.100\.194\.' "$LAB_DIR/hosts.yml" || die "hosts.yml: an address of inventory/production was not rewritten"
  mkdir -p "$LAB_DIR/group_vars/all"
  local f
  for f in "$prod"/group_vars/*.yml; do
    case $(basename "$f") in
      all.yml) ln -s "$f" "$LAB_DIR/group_vars/all/00-production.yml" ;;
      *) ln -s "$f" "$LAB_DIR/group_vars/$(basename "$f")" ;;
    esac
  done
  cat > "$LAB_DIR/group_vars/all/lab.yml" <<EOF
# Written by tools/lab/lab.sh: how Ansible reaches this lab's servers, and
# the controller's directories for it.
ansible_user: $LAB_USER
ansible_ssh_private_key_file: $LAB_DIR/id_ed25519
ansible_ssh_common_args: -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$LAB_DIR/known_hosts
fabrun_workdir: $LAB_DIR/controller
fabrun_software_dir: $repo_root/build
EOF
}

# The lab that holds LAB_PREFIX's names (namespaces, links, cgroups): a
# second lab with the same prefix would take them over.
owner_file() { echo "/run/fabrun-lab-$LAB_PREFIX.dir"; }
check_owner() {
  local owner
  owner=$(cat "$(owner_file)" 2>/dev/null || true)
  if [ -n "$owner" ] && [ "$owner" != "$LAB_DIR" ] && [ -e "/run/netns/$(netns_name "${LAB_HOSTS[0]}")" ]; then
    die "the names of LAB_PREFIX=$LAB_PREFIX belong to the running lab in $owner: take that one down or use another LAB_PREFIX"
  fi
}

up() {
  check_settings
  check_owner
  echo "$LAB_DIR" > "$(owner_file)"
  local t0=$SECONDS o
  host_packages
  rootfs
  mkdir -p "$LAB_DIR/hosts"
  [ -f "$LAB_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "fabrun-lab" -f "$LAB_DIR/id_ed25519"
  network_up
  for o in "${LAB_HOSTS[@]}"; do host_up "$o"; done
  known_hosts
  ssh_opts=(-o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=yes
            -o "UserKnownHostsFile=$LAB_DIR/known_hosts" -i "$LAB_DIR/id_ed25519")
  for o in "${LAB_HOSTS[@]}"; do wait_ssh "$o"; done
  inventory
  log "six servers up in $((SECONDS - t0)) s; inventory: $LAB_DIR/hosts.yml"
}

# Ends a process and waits for it; SIGKILL after $2 seconds.
stop_pid() {
  local pid=$1 grace=$2 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 $((grace * 10))); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do alive "$pid" || return 0; sleep 0.1; done
  die "process $pid does not end"
}

# Kills every process left in a cgroup directory (and its children), then removes them.
cgroup_remove() {
  local dir=$1 p i
  [ -d "$dir" ] || return 0
  for i in $(seq 1 50); do
    p=$(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null)
    [ -z "$p" ] && break
    # shellcheck disable=SC2086
    kill -KILL $p 2>/dev/null || true
    sleep 0.1
  done
  find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  [ ! -d "$dir" ] || die "cannot remove cgroup $dir"
}

down() {
  check_settings
  check_owner
  local t0=$SECONDS o d ns p
  for o in "${LAB_HOSTS[@]}"; do
    d=$(host_dir "$o")
    # The supervisor first, so a stopping container is not booted again; then
    # the container (SIGTERM: nspawn shuts the container down in order).
    p=$(pid_of "$d/supervisor.pid")
    alive "$p" && kill -KILL "$p" 2>/dev/null || true
    rm -f "$d/supervisor.pid"
    p=$(pid_of "$d/nspawn.pid")
    if alive "$p"; then stop_pid "$p" 30 & fi
  done
  wait
  for o in "${LAB_HOSTS[@]}"; do
    d=$(host_dir "$o") ns=$(netns_name "$o")
    rm -f "$d/nspawn.pid"
    for r in "${cg_roots[@]}"; do cgroup_remove "$r/$cg_name/$(host_name "$o")"; done
    # Every process of the namespace ends before its veth goes.
    if [ -e "/run/netns/$ns" ]; then
      p=$(ip netns pids "$ns" 2>/dev/null || true)
      # shellcheck disable=SC2086
      [ -z "$p" ] || kill -KILL $p 2>/dev/null || true
    fi
    ip link del "$(veth_name "$o")" 2>/dev/null || true
    [ -e "/run/netns/$ns" ] && ip netns del "$ns"
    mountpoint -q "$d/root" 2>/dev/null && umount "$d/root"
  done
  for r in "${cg_roots[@]}"; do [ -d "$r/$cg_name" ] && rmdir "$r/$cg_name"; done
  ip link del "$bridge" 2>/dev/null || true
  rm -f "$(owner_file)"
  if [ "${LAB_WIPE:-0}" = 1 ]; then rm -rf "$LAB_DIR"; fi
  log "lab down in $((SECONDS - t0)) s"
}

status() {
  local o d
  for o in "${LAB_HOSTS[@]}"; do
    d=$(host_dir "$o")
    echo "$(host_name "$o") $(host_addr "$o") supervisor=$(pid_of "$d/supervisor.pid") nspawn=$(pid_of "$d/nspawn.pid")"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  _supervise) supervise "$2" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
