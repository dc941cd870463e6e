#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mkrootfs.sh BINARY ROOTFS - assemble the minimal root filesystem of the
# meshinit container image: the binary, the istio-iptables symlink, the
# shared objects the binary needs (exactly what ldd reports, at the same
# paths, plus the dynamic loader), passwd/group/nsswitch.conf with root and
# istio-proxy (1337), meshinit's LICENSE and the Debian copyright files of
# what is shipped. Nothing else: no shell, no other binaries.
set -eu

bin=$1
root=$2
here=$(cd "$(dirname "$0")" && pwd)
STRIP=${STRIP:-strip}

rm -rf "$root"
mkdir -p "$root/usr/local/bin" "$root/etc"
install -m 0755 "$bin" "$root/usr/local/bin/meshinit"
"$STRIP" --strip-unneeded "$root/usr/local/bin/meshinit"
ln -s meshinit "$root/usr/local/bin/istio-iptables"
install -m 0644 "$here/passwd" "$root/etc/passwd"
install -m 0644 "$here/group" "$root/etc/group"
install -m 0644 "$here/nsswitch.conf" "$root/etc/nsswitch.conf"
mkdir -p "$root/usr/share/doc/meshinit"
install -m 0644 "$here/../LICENSE" "$root/usr/share/doc/meshinit/LICENSE"

# Shared objects: "name => /path (addr)" and "/path (addr)" (the loader).
# A static binary makes ldd fail: then there is nothing to copy.
libs=$(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }') || libs=
for lib in $libs; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
	chmod 0755 "$root$lib"
	# licence of what we redistribute (best effort: needs dpkg)
	pkg=$( (dpkg -S "$lib" || dpkg -S "$(readlink -f "$lib")") 2>/dev/null |
		head -n1 | cut -d: -f1) || pkg=
	if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then
		mkdir -p "$root/usr/share/doc/$pkg"
		cp "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/copyright"
	fi
done
find "$root" -type d -exec chmod 0755 {} +
# File capability cap_net_admin=p (permitted, not effective: meshinit
# raises it itself, and exec never fails where the pod does not grant it).
# Kubernetes cannot give a non-root container an ambient capability, so
# this is how runAsUser: 1337 + capabilities.add [NET_ADMIN] works: the
# runtime puts NET_ADMIN in the bounding and permitted sets, execve gives
# the binary file permitted & bounding, and under no_new_privs
# (allowPrivilegeEscalation: false) the kernel intersects that with the
# permitted set before exec, which still holds NET_ADMIN (make check-image
# measures both). FILECAPS=0 leaves it out.
if [ "${FILECAPS:-1}" = 1 ]; then
	setcap cap_net_admin=p "$root/usr/local/bin/meshinit"
fi
echo "rootfs $root: $(du -sb "$root" | cut -f1) bytes"
