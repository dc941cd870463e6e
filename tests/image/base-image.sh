#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# base-image.sh CACHE - make sure $CACHE/debian12-minbase.tar exists: a
# Debian 12 (bookworm) minbase root filesystem made with debootstrap from
# Debian's archive, as a tar that `podman import` turns into the
# debian:12 base image (no registry is needed or used). Built once,
# reused by every later run (the tar is replaced atomically).
set -eu

cache=$1
tar=$cache/debian12-minbase.tar
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -s "$tar" ]; then
	echo "base image: cached $tar"
	exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/debootstrap.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "base image: debootstrap --variant=minbase bookworm (once; about a minute)"
start=$(date +%s)
debootstrap --variant=minbase bookworm "$work/root" "$mirror" > "$work/log" 2>&1 || {
	tail -20 "$work/log"
	echo "base image: debootstrap failed"
	exit 1
}
# what an image of debian:12 has: no package caches, the archive in sources
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
tar --numeric-owner --xattrs -C "$work/root" -cf "$work/base.tar" .
mv "$work/base.tar" "$tar"
echo "base image: $(du -m "$tar" | cut -f1) MiB in $(($(date +%s) - start)) s"
