#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (or find cached) the guest for make check-kernels: a small Debian
# bookworm root filesystem holding what the test suites use, with Debian's
# own kernels installed from Debian's archive, and the kernel + initramfs
# of each taken out for QEMU's -kernel/-initrd.
#
#   tests/kernels/build-image.sh CACHE_DIR
#
# Prints the directory holding the result: rootfs.img (ext4, booted with
# snapshot=on, so never written), and for each kernel K in KERNELS below
# vmlinuz-K, initrd.img-K and config-K. The directory is named after a
# hash of this script (packages, kernels, guest init): change either and
# a new image is built cold; otherwise a rerun finds it at once.
set -euo pipefail

cache=${1:?usage: build-image.sh CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
MIRROR=${KERNELS_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${KERNELS_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# what the suites run in the guest (netns-tests, tests/unshare,
# ../shared/conformance, netns-tests/5000's helper needs gcc)
PKGS=nftables,iproute2,iptables,haproxy,socat,conntrack,python3,strace,procps,psmisc
PKGS=$PKGS,kmod,iputils-ping,libnftnl11,libmnl0,libcap2,libcap2-bin,util-linux
PKGS=$PKGS,initramfs-tools,udev,gcc,libc6-dev,file,diffutils,coreutils
# Debian's cloud kernels: bookworm's 6.1 (linux-image-cloud-amd64) and its
# 6.12 (linux-image-6.12-cloud-amd64, shipped in bookworm-security), and
# bullseye's 5.10 (linux-image-cloud-amd64 from a bullseye sources list)
BOOKWORM_KPKGS="linux-image-cloud-amd64 linux-image-6.12-cloud-amd64"
BULLSEYE_KPKGS="linux-image-cloud-amd64"

key=$(sha256sum "$0" | cut -c1-16)
out=$cache/image-$key
if [ -f "$out/done" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$out/done" ]; then
	echo "$out"
	exit 0
fi
work=$(mktemp -d "$cache/build.XXXXXX")
# (errexit holds inside the trap too: an umount of what is no longer
# mounted must not end it before the rm, nor fail a finished build)
cleanup() {
	local m
	for m in proc sys dev; do
		! mountpoint -q "$work/root/$m" || umount -R "$work/root/$m" || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
log=$work/build.log
step() { echo "build-image: $*" >&2; }
run() { "$@" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; step "FAILED: $*"; exit 1; }; }

step "debootstrap bookworm into $root (log $log)"
run debootstrap --variant=minbase --include="$PKGS" bookworm "$root" "$MIRROR"

cat >"$root/etc/apt/sources.list" <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECMIRROR bookworm-security main
SRC
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
in_root() { run chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
step "bookworm kernels: $BOOKWORM_KPKGS"
in_root apt-get update
in_root apt-get install -y --no-install-recommends $BOOKWORM_KPKGS
# bullseye's 5.10: its own sources list, used only to fetch the .deb
mkdir -p "$root/tmp/bullseye/lists/partial" "$root/tmp/bullseye/archives/partial"
cat >"$root/tmp/bullseye/sources.list" <<SRC
deb $MIRROR bullseye main
deb $SECMIRROR bullseye-security main
SRC
BA="-o Dir::Etc::SourceList=/tmp/bullseye/sources.list -o Dir::Etc::SourceParts=/nonexistent"
BA="$BA -o Dir::State::Lists=/tmp/bullseye/lists -o Dir::Cache::Archives=/tmp/bullseye/archives"
BA="$BA -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Dir::State::status=/dev/null"
step "bullseye kernel: $BULLSEYE_KPKGS"
in_root apt-get $BA update
dep=$(chroot "$root" apt-cache $BA depends $BULLSEYE_KPKGS | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1)
[ -n "$dep" ] || { step "cannot resolve bullseye's $BULLSEYE_KPKGS"; exit 1; }
run chroot "$root" sh -c "cd /tmp/bullseye/archives && apt-get $BA download $dep"
in_root sh -c 'dpkg -i /tmp/bullseye/archives/*.deb'
rm -rf "$root/tmp/bullseye"

# the guest's init: mount the project disk and run its guest script
cat >"$root/sbin/mi-init" <<'INIT'
#!/bin/sh
# PID 1 of a check-kernels guest (tests/kernels/build-image.sh)
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mount -o remount,rw /
mountpoint -q /run || mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /mi /run/netns
mount -t ext4 /dev/vdb /mi
if [ -x /mi/guest.sh ]; then
	/mi/guest.sh
else
	echo "mi-init: no /mi/guest.sh" >/dev/ttyS1
fi
sync
echo o >/proc/sysrq-trigger
sleep 60
INIT
chmod 0755 "$root/sbin/mi-init"
echo mi-guest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
in_root apt-get clean
rm -rf "$root/var/lib/apt/lists"/* "$root/usr/share/doc" "$root/usr/share/man" \
	"$root/usr/share/locale"
umount -R "$root/proc" "$root/sys" "$root/dev"

mkdir -p "$work/out"
for v in "$root"/boot/vmlinuz-*; do
	k=${v##*/vmlinuz-}
	cp "$v" "$work/out/vmlinuz-$k"
	cp "$root/boot/initrd.img-$k" "$work/out/initrd.img-$k"
	cp "$root/boot/config-$k" "$work/out/config-$k"
	step "kernel $k"
done
size=$(du -sm "$root" | cut -f1)
step "rootfs ${size} MiB -> ext4 image"
run mke2fs -q -t ext4 -L mi-root -d "$root" "$work/out/rootfs.img" "$((size + 400))M"
rm -rf "$out"
mv "$work/out" "$out"
touch "$out/done"
# older images of this cache are of an older script
for d in "$cache"/image-*; do
	[ "$d" = "$out" ] || rm -rf "$d"
done
echo "$out"
