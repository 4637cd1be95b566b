#!/usr/bin/env bash
# The execution environment's base image without a registry: the lab's cached
# Debian bookworm root filesystem (tools/lab/lab.sh, build/lab-cache/rootfs)
# plus pip, python3-venv (the image's Python is a venv) and git, imported into
# podman as localhost/fabrun-ee-base:bookworm.
# Root; needs `make lab-up` (or `tools/lab/lab.sh up`) to have made the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOTFS=${LAB_CACHE:-build/lab-cache}/rootfs
MIRROR=${LAB_MIRROR:-http://deb.debian.org/debian}
IMAGE=localhost/fabrun-ee-base:bookworm
[ -d "$ROOTFS" ] || { echo "base-image: no $ROOTFS: run tools/lab/lab.sh up first" >&2; exit 1; }
tmp=$(mktemp -d build/ee-base.XXXXXX)
trap 'mountpoint -q "$tmp/root/proc" && umount "$tmp/root/proc"; rm -rf "$tmp"' EXIT
cp -a "$ROOTFS" "$tmp/root"
echo "deb $MIRROR bookworm main" > "$tmp/root/etc/apt/sources.list"
cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
# The build machine's own trusted CAs (a TLS-inspecting proxy's, say), so
# apt here and pip in the image build reach the package registries as the
# machine does; pip reads the system bundle (PIP_CERT), not its own.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$tmp/root/usr/local/share/ca-certificates/"
  chroot "$tmp/root" update-ca-certificates >/dev/null
fi
mount -t proc proc "$tmp/root/proc"
chroot "$tmp/root" apt-get update -qq
chroot "$tmp/root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip python3-venv git >/dev/null
chroot "$tmp/root" apt-get clean
rm -rf "$tmp/root/var/lib/apt/lists/"*
umount "$tmp/root/proc"
tar -C "$tmp/root" -c . | podman import --change 'CMD ["bash"]' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' - "$IMAGE"
echo "base-image: $IMAGE"
