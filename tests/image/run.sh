#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-image: the project's Dockerfile, built with podman (buildah)
# from a debian:12 base made locally with debootstrap (no registry), and
# the image run the way a kubelet runs it:
#   1. the image: <= 3 MiB, no shell, the file capability on the binary,
#      LICENSE, OCI labels, --version through the ENTRYPOINT;
#   2. a pod (podman pod on a bridge network of this test's own): the
#      image as the init container with Istio's default args as uid 0 and
#      as uid 1337, NET_ADMIN only, with and without no-new-privileges;
#   3. runc directly, with the capability sets a CRI runtime gives a
#      container (bounding = permitted = effective = NET_ADMIN, nothing
#      inheritable or ambient): uid 1337 works with and without
#      no_new_privs thanks to the file capability; the same image without
#      it fails (podman itself would make that case pass: it gives a
#      non-root user the added capabilities as ambient ones);
#   4. the meshed pod with real traffic: HAProxy as uid 1337, read-only,
#      no capabilities, the app, a peer pod: outbound reaches the proxy
#      with its original destination, inbound lands on 15006, excluded
#      ports and uids are not captured;
#   5. --run-validation --skip-rule-apply as Istio's istio-validation;
#   6. podman kube play of every example's meshinit init container.
#
# All podman state is this test's own: storage under $CACHE (kept between
# runs: the base image and the build cache), run state under $RUNDIR, a
# containers.conf of its own, and every network, pod and bridge inside a
# network namespace of its own (mi-img-PID-host), never the machine's.
# Runs are serialised with a lock on $CACHE.
#
#   tests/image/run.sh   (root; make check-image builds ./meshinit first)
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
MESHINIT=${MESHINIT:-$repo/meshinit}
CACHE=${MESHINIT_IMAGE_CACHE:-/var/cache/meshinit-image}
# run state (podman's runroot, tmp dir, network configs) belongs to one
# storage (podman records its paths): one directory per cache dir, on tmpfs
if [ -n "${MESHINIT_IMAGE_RUNDIR:-}" ]; then
	RUNDIR=$MESHINIT_IMAGE_RUNDIR
elif [ "$CACHE" = /var/cache/meshinit-image ]; then
	RUNDIR=/run/meshinit-image
else
	RUNDIR=/run/meshinit-image-$(printf %s "$CACHE" | md5sum | cut -c1-12)
fi
PY=/usr/bin/python3
MAX_BYTES=$((3 * 1024 * 1024))
IMAGE=localhost/meshinit:check-image
TOOLS=localhost/meshinit-test-tools:1
# what the examples reference: the test's image is tagged so
EXAMPLE_IMAGE=registry.example.com/meshinit:0.1.0
# Istio's injection template, default values, no annotations
ISTIO_ARGS=(istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x ""
	-b '*' -d 15090,15021,15020 --log_output_level=default:info)

TEST_NAME=check-image
. "$repo/tests/lib/testlib.sh"
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

[ "$(id -u)" = 0 ] || skip "needs root (podman, runc, network namespaces)"
for c in podman buildah runc debootstrap nsenter nft ip getfattr getcap setcap \
		flock "${CC:-cc}" "$PY"; do
	command -v "$c" >/dev/null || fail "$c is missing (make deps installs it)"
done
[ -x "$MESHINIT" ] || fail "no meshinit binary at $MESHINIT (make)"

tag=mi-img-$$
hostns=$tag-host
net=$tag
tmp=$(mktemp -d "/tmp/$tag.XXXXXX") || fail "mktemp"
chmod 755 "$tmp"
mkdir -p "$CACHE" "$RUNDIR" || fail "cannot create $CACHE / $RUNDIR"
exec 9>"$CACHE/lock"
if ! flock -n 9; then
	echo "# another check-image run holds $CACHE/lock: waiting"
	flock 9
fi

# --- podman configuration of this test's own --------------------------
# rootful podman raises RLIMIT_NOFILE/NPROC by default, which this kind of
# machine refuses: ask for the open-file limit we already have and at most
# 4096 processes (runc is refused even nproc = the current hard limit)
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
cat >"$RUNDIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$RUNDIR/events.log"
tmp_dir = "$RUNDIR/libpod"
[network]
network_backend = "netavark"
network_config_dir = "$RUNDIR/networks"
EOF
cat >"$RUNDIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$CACHE/storage"
runroot = "$RUNDIR/storage"
EOF
# short names (FROM debian:12) resolve to docker.io, found locally;
# every build and run uses --pull=never: nothing is fetched
cat >"$RUNDIR/registries.conf" <<EOF
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
EOF
export CONTAINERS_CONF=$RUNDIR/containers.conf
export CONTAINERS_STORAGE_CONF=$RUNDIR/storage.conf
export CONTAINERS_REGISTRIES_CONF=$RUNDIR/registries.conf
# podman build (buildah) does not apply default_ulimits to RUN steps
ulimits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
pm() { podman --root "$CACHE/storage" --runroot "$RUNDIR/storage" "$@"; }
# podman commands that create networks, pods or containers run in the
# test's own network namespace: netavark's bridge, veths and firewall
# rules land there, not in the machine's namespace
pmn() { nsenter --net="/run/netns/$hostns" podman --root "$CACHE/storage" \
	--runroot "$RUNDIR/storage" "$@"; }

runc_ids=()
mounted=0
cleanup() {
	local id
	set +e
	for id in "${runc_ids[@]}"; do
		runc --root "$tmp/runc" delete -f "$id" >/dev/null 2>&1
	done
	if [ -e "/run/netns/$hostns" ]; then
		pmn pod rm -f -t 0 -a >/dev/null 2>&1
		pmn rm -f -t 0 -a >/dev/null 2>&1
		pmn network rm -f "$net" >/dev/null 2>&1
	fi
	# podman 4.3 with cgroupfs on hybrid cgroups leaves each pod's empty
	# cgroup in the unified and systemd hierarchies
	for id in $(cat "$tmp/pod-ids" 2>/dev/null); do
		for d in /sys/fs/cgroup/*/libpod_parent/"$id"; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	[ "$mounted" = 1 ] && pm image unmount "$IMAGE" >/dev/null 2>&1
	ip netns del "$hostns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "# podman $(podman --version | awk '{print $3}'), buildah $(buildah --version | awk '{print $3}'), $(runc --version | head -n1)"
# leftovers of an earlier run that was killed: everything in this storage
# is this test's own (the lock is held)
ip netns add "$hostns" || fail "ip netns add $hostns"
ip -n "$hostns" link set lo up
# (in the test's namespace: a network teardown must not run in the machine's)
pmn pod rm -f -t 0 -a >/dev/null 2>&1
pmn rm -f -t 0 -a >/dev/null 2>&1
pmn network prune -f >/dev/null 2>&1

# --- 1. the image ------------------------------------------------------
t0=$(now)
"$here/base-image.sh" "$CACHE" || fail "no debian:12 base image"
if ! pm image exists docker.io/library/debian:12; then
	t=$(now)
	pm import --quiet "$CACHE/debian12-minbase.tar" docker.io/library/debian:12 >/dev/null ||
		fail "podman import of the debian:12 base"
	echo "# imported debian:12 from $CACHE/debian12-minbase.tar in $(took "$t")"
fi

version=$(sed -n 's/^VERSION := //p' "$repo/Makefile")
revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
source=$(git -C "$repo" remote get-url origin 2>/dev/null || echo "")
t=$(now)
# the build's RUN steps use the machine's network (apt): --network host
# makes podman create no bridge and touch no firewall for them
if ! pm build --quiet --network host --pull=never "${ulimits[@]}" -f "$repo/Dockerfile" -t "$IMAGE" \
		--build-arg REVISION="$revision" --build-arg SOURCE="$source" \
		"$repo" >"$tmp/build.log" 2>&1; then
	tail -30 "$tmp/build.log"
	fail "podman build of the Dockerfile"
fi
echo "# built the Dockerfile in $(took "$t") (cold: apt and the compile; warm: cached layers)"
pm tag "$IMAGE" "$EXAMPLE_IMAGE"
# keep the cache bounded: tag the build stage (all cached, a second or
# so), so that pruning untagged images drops earlier builds' layers but
# keeps this one's (apt and compile) for the next run
pm build --quiet --network host --pull=never "${ulimits[@]}" -f "$repo/Dockerfile" --target build \
	-t localhost/meshinit-build:check-image --build-arg REVISION="$revision" \
	--build-arg SOURCE="$source" "$repo" >>"$tmp/build.log" 2>&1 ||
	not_ok "podman build --target build (cached)"

mkdir -p "$tmp/tools"
cp "$here/tools.Containerfile" "$here/haproxy.cfg" "$tmp/tools/"
cp "$repo/netns-tests/lib/mitool.py" "$tmp/tools/"
t=$(now)
if ! pm build --quiet --network host --pull=never "${ulimits[@]}" -f "$tmp/tools/tools.Containerfile" \
		-t "$TOOLS" "$tmp/tools" >"$tmp/tools.log" 2>&1; then
	tail -30 "$tmp/tools.log"
	fail "podman build of the helper image (HAProxy, python3)"
fi
echo "# built the helper image in $(took "$t")"
pm image prune -f >/dev/null 2>&1

size=$(pm image inspect -f '{{.Size}}' "$IMAGE")
check "image is $size bytes (<= $MAX_BYTES)" test "$size" -le "$MAX_BYTES"
mnt=$(pm image mount "$IMAGE") && mounted=1 || fail "podman image mount"
check "image content is the binary, the symlink, its libraries and 4 files" \
	"$PY" - "$mnt" <<'EOF'
import os, sys
root = sys.argv[1]
bad = []
for d, dirs, files in os.walk(root):
    for f in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
        p = os.path.join(d, f)
        rel = "/" + os.path.relpath(p, root)
        if rel in ("/usr/local/bin/meshinit", "/usr/local/bin/istio-iptables",
                   "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
                   "/usr/share/doc/meshinit/LICENSE"):
            continue
        if rel.startswith("/usr/share/doc/") and rel.endswith("/copyright"):
            continue
        if ".so" in os.path.basename(rel) and rel.startswith(("/lib", "/usr/lib")):
            continue
        bad.append(rel)
for b in bad:
    print("  unexpected: " + b)
sys.exit(1 if bad else 0)
EOF
check "no shell in the image (no sh, bash, dash, busybox)" \
	test -z "$(find "$mnt" \( -name sh -o -name bash -o -name dash -o -name busybox \) -print)"
if pm run --rm --network none --pull=never --entrypoint /bin/sh "$IMAGE" -c true >/dev/null 2>&1; then
	not_ok "podman run --entrypoint /bin/sh fails"
else
	ok "podman run --entrypoint /bin/sh fails"
fi
xattr=$(getfattr --absolute-names -e hex -n security.capability "$mnt/usr/local/bin/meshinit" 2>/dev/null |
	sed -n 's/^security.capability=//p')
fcap=$(getcap "$mnt/usr/local/bin/meshinit" | awk '{print $2}')
check "security.capability xattr on /usr/local/bin/meshinit in the image ($fcap, $xattr)" \
	test "$fcap" = cap_net_admin=p
check "LICENSE is in the image (/usr/share/doc/meshinit/LICENSE)" \
	cmp -s "$repo/LICENSE" "$mnt/usr/share/doc/meshinit/LICENSE"
check "/usr/local/bin/istio-iptables -> meshinit" \
	test "$(readlink "$mnt/usr/local/bin/istio-iptables")" = meshinit
out=$(pm run --rm --network none --pull=never "$IMAGE" --version 2>&1)
check "--version through the ENTRYPOINT: $(echo "$out" | head -n1)" \
	test "$(echo "$out" | head -n1)" = "meshinit $version"
label() { pm image inspect -f "{{index .Labels \"org.opencontainers.image.$1\"}}" "$IMAGE"; }
check "OCI label version = $(label version) (the Makefile's VERSION)" test "$(label version)" = "$version"
check "OCI label revision = $(label revision)" test "$(label revision)" = "$revision"
check "OCI label source = '$(label source)'" test "$(label source)" = "$source"
check "OCI label licenses = $(label licenses)" test "$(label licenses)" = GPL-2.0-or-later

# rootfs copies for runc: with and without the file capability (cp -a
# keeps the xattr; the negative control has it removed)
for v in fcap nofcap; do
	mkdir -p "$tmp/$v"
	cp -a "$mnt/." "$tmp/$v/rootfs"
	mkdir -p "$tmp/$v/rootfs/proc" "$tmp/$v/rootfs/dev" "$tmp/$v/rootfs/sys"
	: >"$tmp/$v/rootfs/capdump"
done
setcap -r "$tmp/nofcap/rootfs/usr/local/bin/meshinit"
check "runc rootfs copy keeps cap_net_admin=p" \
	test "$(getcap "$tmp/fcap/rootfs/usr/local/bin/meshinit" | awk '{print $2}')" = cap_net_admin=p
check "negative control: its copy has no file capability" \
	test -z "$(getcap "$tmp/nofcap/rootfs/usr/local/bin/meshinit")"
pm image unmount "$IMAGE" >/dev/null && mounted=0
"${CC:-cc}" -O2 -Wall -Wextra -Werror -static -o "$tmp/capdump" "$here/capdump.c" ||
	fail "cannot build the static capdump helper"
echo "# image and helpers ready in $(took "$t0")"

# --- 2. the pod: init container as uid 0 and 1337 ----------------------
pmn network create --internal --disable-dns --subnet 10.231.0.0/24 "$net" >/dev/null ||
	fail "podman network create $net"
# pod_pid POD: the pid of its infra container, whose network namespace is
# the pod's
pod_id() { pmn pod inspect -f '{{.ID}}' "$1" >>"$tmp/pod-ids"; }
pod_pid() { pmn inspect -f '{{.State.Pid}}' "$(pmn pod inspect -f '{{.InfraContainerID}}' "$1")"; }
pod_ip() { pmn inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" \
	"$(pmn pod inspect -f '{{.InfraContainerID}}' "$1")"; }
in_pod() { local p=$1; shift; nsenter --net="/proc/$p/ns/net" "$@"; }
# the installed table without handles and counters
table() { in_pod "$1" nft list table inet meshinit 2>/dev/null | sed 's/counter packets [0-9]* bytes [0-9]*/counter/'; }
has_table() { in_pod "$1" nft list table inet meshinit >/dev/null 2>&1; }
drop_table() { in_pod "$1" nft delete table inet meshinit 2>/dev/null; }

pmn pod create --name "$tag-init" --network "$net" >/dev/null || fail "podman pod create"
pod_id "$tag-init"
pmn pod start "$tag-init" >/dev/null || fail "podman pod start"
ipid=$(pod_pid "$tag-init")
check "the pod has a real eth0 on the test's bridge ($(pod_ip "$tag-init"))" \
	eval 'in_pod "$ipid" ip -4 addr show dev eth0 | grep -q "inet 10.231.0."'
# what meshinit must install: its own --dry-run script, loaded by nft into
# a scratch namespace, as nft lists it (a reader independent of meshinit)
ip netns add "$tag-ref" || fail "ip netns add"
"$MESHINIT" "${ISTIO_ARGS[@]}" --dry-run --ipv6 off 2>/dev/null >"$tmp/ref.nft"
ip netns exec "$tag-ref" nft -f "$tmp/ref.nft" &&
	ip netns exec "$tag-ref" nft list table inet meshinit | sed 's/counter packets [0-9]* bytes [0-9]*/counter/' >"$tmp/ref.txt"
ip netns del "$tag-ref"

pod_init_case() { # USER NNP(0|1)
	local u=$1 nnp=$2 opt=() desc rc
	[ "$nnp" = 1 ] && opt=(--security-opt no-new-privileges)
	desc="podman pod: init container as uid $u, NET_ADMIN only, no-new-privileges $([ "$nnp" = 1 ] && echo on || echo off), read-only"
	drop_table "$ipid"
	pmn run --rm --pod "$tag-init" --pull=never --user "$u:$u" --cap-drop ALL --cap-add NET_ADMIN \
		"${opt[@]}" --read-only "$IMAGE" "${ISTIO_ARGS[@]}" >"$tmp/init.log" 2>&1
	rc=$?
	if [ "$rc" != 0 ]; then
		not_ok "$desc: exit $rc: $(tail -n2 "$tmp/init.log")"
		return
	fi
	table "$ipid" >"$tmp/got.txt"
	if cmp -s "$tmp/ref.txt" "$tmp/got.txt"; then
		ok "$desc: exit 0, the table is Istio's default ruleset ($(grep -c ' comment ' "$tmp/got.txt") rules)"
	else
		not_ok "$desc: installed table differs from the --dry-run script"
		diff "$tmp/ref.txt" "$tmp/got.txt" | head -20
	fi
}
pod_init_case 0 0
pod_init_case 0 1
pod_init_case 1337 0
pod_init_case 1337 1
drop_table "$ipid"
pmn run --rm --pod "$tag-init" --pull=never --user 1337:1337 --cap-drop ALL \
	--read-only "$IMAGE" "${ISTIO_ARGS[@]}" >"$tmp/init.log" 2>&1
rc=$?
check "podman pod: uid 1337 without NET_ADMIN exits 1 (CAP_NET_ADMIN is required), nothing installed" \
	eval '[ "$rc" = 1 ] && grep -q CAP_NET_ADMIN "$tmp/init.log" && ! has_table "$ipid"'
# --netns: entering a namespace needs CAP_SYS_ADMIN besides NET_ADMIN
netns_case() { # CAP...
	local c opt=()
	for c in "$@"; do opt+=(--cap-add "$c"); done
	drop_table "$ipid"
	pmn run --rm --pod "$tag-init" --pull=never --user 0:0 --cap-drop ALL "${opt[@]}" \
		--read-only "$IMAGE" "${ISTIO_ARGS[@]}" --netns /proc/self/ns/net >"$tmp/netns.log" 2>&1
}
netns_case NET_ADMIN
rc=$?
check "--netns with NET_ADMIN only: exit $rc, names CAP_SYS_ADMIN, nothing installed" \
	eval '[ "$rc" = 1 ] && grep -q "CAP_SYS_ADMIN is required" "$tmp/netns.log" && ! has_table "$ipid"'
netns_case NET_ADMIN SYS_ADMIN
rc=$?
check "--netns with NET_ADMIN and SYS_ADMIN: exit $rc, installed" \
	eval '[ "$rc" = 0 ] && has_table "$ipid"'
drop_table "$ipid"
amb=$(pmn run --rm --pod "$tag-init" --pull=never --user 1337:1337 --cap-drop ALL --cap-add NET_ADMIN \
	-v "$tmp/capdump:/capdump:ro" --entrypoint /capdump "$IMAGE" | sed -n 's/^amb=//p')
echo "# podman gives a non-root --cap-add as ambient capabilities (CapAmb=$amb), which a kubelet's runtime does not: hence the runc cases"

# --- 3. runc with a CRI runtime's capability sets -----------------------
# runc_case NAME VARIANT UID NNP ARGS...: run ARGS in the pod's network
# namespace from rootfs VARIANT, read-only, as UID:UID with bounding =
# permitted = effective = {NET_ADMIN}, inheritable = ambient = {}
runc_case() {
	local name=$1 v=$2 u=$3 nnp=$4 b="$tmp/bundle-$1"
	shift 4
	mkdir -p "$b"
	"$PY" - "$b/config.json" "$tmp/$v/rootfs" "$u" "$nnp" "$ipid" "$tmp/capdump" "$tag-$name" \
		"$runc_sets" "$@" <<'EOF' || return 99
import json, sys
out, rootfs, uid, nnp, pid, capdump, cg, sets = sys.argv[1:9]
args = sys.argv[9:]
caps = ["CAP_NET_ADMIN"]
# "bounding": a runtime that clears permitted and effective for a
# non-root user before execve (Docker Engine 20.10.14 to 23.0)
held = caps if sets == "cri" else []
cfg = {
    "ociVersion": "1.0.2",
    "process": {
        "terminal": False,
        "user": {"uid": int(uid), "gid": int(uid)},
        "args": args,
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "cwd": "/",
        "capabilities": {"bounding": caps, "permitted": held, "effective": held,
                         "inheritable": [], "ambient": []},
        "noNewPrivileges": nnp == "1",
    },
    "root": {"path": rootfs, "readonly": True},
    "hostname": "pod",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/capdump", "type": "bind", "source": capdump,
         "options": ["rbind", "ro"]},
    ],
    "linux": {
        "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
                       {"type": "mount"},
                       {"type": "network", "path": "/proc/%s/ns/net" % pid}],
        "cgroupsPath": "/" + cg,
        "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
        "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
    },
}
json.dump(cfg, open(out, "w"), indent=1)
EOF
	runc_ids+=("$tag-$name")
	runc --root "$tmp/runc" run --bundle "$b" "$tag-$name" </dev/null >"$tmp/runc-$name.log" 2>&1
}

runc_sets=cri
# the sets the runtime gives: a program without a file capability (the
# static capdump) keeps only the bounding set across execve as uid 1337
for nnp in 0 1; do
	runc_case capdump$nnp fcap 1337 $nnp /capdump
	got=$(sort "$tmp/runc-capdump$nnp.log" | tr '\n' ' ')
	check "runc: CRI-like sets for uid 1337, no_new_privs $nnp: a program without a file capability gets $got" \
		test "$got" = "amb=0 bnd=1000 eff=0 gid=1337 inh=0 nnp=$nnp prm=0 uid=1337 "
done
runc_install_case() { # NAME VARIANT UID NNP EXPECT_RC DESC
	local name=$1 v=$2 u=$3 nnp=$4 want=$5 desc=$6 rc
	drop_table "$ipid"
	runc_case "$name" "$v" "$u" "$nnp" /usr/local/bin/meshinit "${ISTIO_ARGS[@]}"
	rc=$?
	if [ "$want" = 0 ]; then
		table "$ipid" >"$tmp/got.txt"
		check "$desc: exit $rc, Istio's default ruleset installed" \
			eval '[ "$rc" = 0 ] && cmp -s "$tmp/ref.txt" "$tmp/got.txt"'
	else
		check "$desc: exit $rc, CAP_NET_ADMIN is required, nothing installed" \
			eval '[ "$rc" = "$want" ] && grep -q CAP_NET_ADMIN "$tmp/runc-$name.log" && ! has_table "$ipid"'
	fi
	[ "$rc" = "$want" ] || tail -n3 "$tmp/runc-$name.log"
}
runc_install_case fcap-nnp0 fcap 1337 0 0 "runc: uid 1337, file capability, no_new_privs off (allowPrivilegeEscalation: true)"
runc_install_case fcap-nnp1 fcap 1337 1 0 "runc: uid 1337, file capability, no_new_privs on (allowPrivilegeEscalation: false)"
runc_install_case nofcap-nnp0 nofcap 1337 0 1 "runc negative control: uid 1337, no file capability, no_new_privs off"
runc_install_case nofcap-nnp1 nofcap 1337 1 1 "runc negative control: uid 1337, no file capability, no_new_privs on"
runc_install_case root-nnp1 nofcap 0 1 0 "runc: uid 0, NET_ADMIN only, no_new_privs on, no file capability needed"
# a runtime that leaves NET_ADMIN only in the bounding set: the file
# capability works without no_new_privs, and under it has nothing to keep
runc_sets=bounding
runc_install_case bnd-nnp0 fcap 1337 0 0 "runc, NET_ADMIN in the bounding set only (permitted/effective cleared, as Docker Engine 20.10.14-23.0 did): uid 1337, file capability, no_new_privs off"
runc_install_case bnd-nnp1 fcap 1337 1 1 "runc, the same with no_new_privs on (nothing permitted for the file capability to keep)"
runc_sets=cri

# --- 5. --run-validation as Istio's istio-validation (CNI mode) ---------
# Istio's template: uid 1337, no capability added, read-only root
validation() { # USER [PODMAN OPTION...]
	local u=$1
	shift
	pmn run --rm --pod "$tag-init" --pull=never --user "$u:$u" --cap-drop ALL "$@" --read-only \
		"$IMAGE" "${ISTIO_ARGS[@]}" --run-validation --skip-rule-apply >"$tmp/val.log" 2>&1
}
drop_table "$ipid"
pmn run --rm --pod "$tag-init" --pull=never --user 1337:1337 --cap-drop ALL --cap-add NET_ADMIN \
	--read-only "$IMAGE" "${ISTIO_ARGS[@]}" >/dev/null 2>&1 || not_ok "install before validation"
validation 1337
rc=$?
check "istio-validation (uid 1337, no capabilities, --run-validation --skip-rule-apply) with the rules: exit $rc" \
	test "$rc" = 0
validation 0
rc=$?
check "the same as uid 0: exit $rc (126: the probe's uid is not the proxy's, so it is not captured; Istio's too)" \
	eval '[ "$rc" = 126 ] && grep -q "iptables validation failed" "$tmp/val.log"'
validation 0 --cap-add NET_ADMIN
rc=$?
check "as uid 0 with NET_ADMIN: exit $rc, $(grep -o 'diagnosis: .*' "$tmp/val.log" | head -n1 | cut -c1-100)" \
	eval '[ "$rc" = 126 ] && grep -q "probe.s uid 0 is not among the proxy uids" "$tmp/val.log"'
drop_table "$ipid"
validation 1337
rc=$?
check "istio-validation as uid 1337 without rules: exit $rc (126)" \
	eval '[ "$rc" = 126 ] && grep -q "iptables validation failed" "$tmp/val.log"'
validation 1337 --cap-add NET_ADMIN
rc=$?
check "the same with NET_ADMIN: exit $rc, $(grep -o 'diagnosis: .*' "$tmp/val.log" | head -n1 | cut -c1-60)" \
	eval '[ "$rc" = 126 ] && grep -q "no meshinit rules installed" "$tmp/val.log"'

# --- 4. the meshed pod with real traffic --------------------------------
pmn pod create --name "$tag-peer" --network "$net" >/dev/null || fail "podman pod create peer"
pmn pod create --name "$tag-mesh" --network "$net" >/dev/null || fail "podman pod create mesh"
pod_id "$tag-peer"
pod_id "$tag-mesh"
pmn pod start "$tag-mesh" >/dev/null || fail "podman pod start"
mpid=$(pod_pid "$tag-mesh")
peer_ip=
for p in 9080 7777; do
	pmn run -d --pod "$tag-peer" --name "$tag-peer$p" --pull=never --user 1000:1000 --cap-drop ALL \
		--read-only "$TOOLS" python3 /usr/local/bin/mitool.py listen "peer$p" "$p" --bind 0.0.0.0 >/dev/null ||
		fail "peer listener $p"
done
peer_ip=$(pod_ip "$tag-peer")
mesh_ip=$(pod_ip "$tag-mesh")
ppid=$(pod_pid "$tag-peer")
# the init container as the hardened template has it (uid 1337, NET_ADMIN,
# no-new-privileges, read-only), with Istio's args plus what the
# traffic.sidecar.istio.io/excludeOutboundPorts annotation adds (-o 7777)
# and an init-container exclusion from ProxyMetadata (uid 1001)
pmn run --rm --pod "$tag-mesh" --name "$tag-istio-init" --pull=never --user 1337:1337 --cap-drop ALL --cap-add NET_ADMIN \
	--security-opt no-new-privileges --read-only -e MESHINIT_EXCLUDE_OUTBOUND_UIDS=1001 \
	"$IMAGE" "${ISTIO_ARGS[@]}" -o 7777 >"$tmp/mesh-init.log" 2>&1
check "meshed pod: istio-init (uid 1337, NET_ADMIN, no-new-privileges) with -o 7777 and MESHINIT_EXCLUDE_OUTBOUND_UIDS=1001" \
	has_table "$mpid"
pmn run -d --pod "$tag-mesh" --name "$tag-proxy" --pull=never --user 1337:1337 --cap-drop ALL \
	--security-opt no-new-privileges --read-only "$TOOLS" haproxy -db -f /etc/haproxy/meshinit-test.cfg >/dev/null ||
	fail "proxy container"
for p in 8080 15020; do
	pmn run -d --pod "$tag-mesh" --name "$tag-app$p" --pull=never --user 1000:1000 --cap-drop ALL \
		--read-only "$TOOLS" python3 /usr/local/bin/mitool.py listen "app$p" "$p" --bind 0.0.0.0 >/dev/null ||
		fail "app listener $p"
done
listening() { # PID PORT...
	local p=$1 port i
	shift
	for i in $(seq 1 100); do
		for port in "$@"; do
			in_pod "$p" ss -Hltn "sport = :$port" | grep -q LISTEN || continue 2
		done
		return 0
	done
	return 1
}
listening "$mpid" 15001 15006 8080 15020 || fail "the proxy and the app do not listen"
listening "$ppid" 9080 7777 || fail "the peer does not listen"
hpid=$(pmn inspect -f '{{.State.Pid}}' "$tag-proxy")
check "the proxy (HAProxy) runs as uid 1337 with no capabilities (CapEff=CapPrm=0)" \
	eval '[ "$(awk "/^Uid:/ {print \$2}" /proc/$hpid/status)" = 1337 ] &&
		[ "$(awk "/^CapEff:/ {print \$2}" /proc/$hpid/status)" = 0000000000000000 ] &&
		[ "$(awk "/^CapPrm:/ {print \$2}" /proc/$hpid/status)" = 0000000000000000 ]'
connect() { # CONTAINER UID HOST PORT
	pmn exec --user "$2:$2" "$1" python3 /usr/local/bin/mitool.py connect "$3" "$4" --timeout 5 2>&1
}
# expect DESC ANSWER KEY=VAL|KEY^=PREFIX...: fields of a listener's answer
expect() {
	local desc=$1 ans=$2 kv k v f
	shift 2
	for kv in "$@"; do
		if [[ $kv == *^=* ]]; then
			k=${kv%%^=*} v=${kv#*^=}
			f=$(echo "$ans" | tr ' ' '\n' | sed -n "s/^$k=//p")
			[[ $f == "$v"* ]] || { not_ok "$desc: $k=$f, want prefix $v (answer: $ans)"; return; }
		else
			k=${kv%%=*} v=${kv#*=}
			f=$(echo "$ans" | tr ' ' '\n' | sed -n "s/^$k=//p")
			[ "$f" = "$v" ] || { not_ok "$desc: $k=$f, want $v (answer: $ans)"; return; }
		fi
	done
	ok "$desc"
}
a=$(connect "$tag-app8080" 1000 "$peer_ip" 9080)
expect "outbound: app (uid 1000) -> $peer_ip:9080 went through the proxy to its original destination" \
	"$a" label=peer9080 dst="$peer_ip:9080" "proxy^=PROXY_TCP4_${mesh_ip}_${peer_ip}_"
a=$(connect "$tag-app8080" 1000 "$peer_ip" 7777)
expect "outbound: app -> $peer_ip:7777 (-o 7777, excluded) is not captured" \
	"$a" label=peer7777 srcip="$mesh_ip" proxy=-
a=$(connect "$tag-app8080" 1001 "$peer_ip" 9080)
expect "outbound: uid 1001 (MESHINIT_EXCLUDE_OUTBOUND_UIDS) -> $peer_ip:9080 bypasses the proxy" \
	"$a" label=peer9080 srcip="$mesh_ip" proxy=-
a=$(connect "$tag-app8080" 1337 "$peer_ip" 9080)
expect "outbound: the proxy's uid 1337 -> $peer_ip:9080 is not captured" \
	"$a" label=peer9080 srcip="$mesh_ip" proxy=-
a=$(connect "$tag-peer9080" 1000 "$mesh_ip" 8080)
expect "inbound: peer -> $mesh_ip:8080 landed on 15006 (HAProxy's inbound) and reached the app from 127.0.0.6" \
	"$a" label=app8080 srcip=127.0.0.6 dst=127.0.0.1:8080
a=$(connect "$tag-peer9080" 1000 "$mesh_ip" 15020)
expect "inbound: peer -> $mesh_ip:15020 (-d, excluded) reached the app directly" \
	"$a" label=app15020 srcip="$peer_ip" dst="$mesh_ip:15020"
pmn pod rm -f -t 0 "$tag-mesh" "$tag-peer" >/dev/null

# --- 6. podman kube play of the examples --------------------------------
# podman 4.3 rejects probes on init containers, runs restartPolicy: Always
# init containers to completion (a native sidecar would block the pod) and
# has no Job; the images of Envoy, nginx and curl cannot be pulled here.
# So every example's meshinit init container is played verbatim (its
# image is tagged locally) in a Pod with a placeholder app container;
# check-examples.py writes those Pods, one file each (see its --kube).
mkdir -p "$tmp/kube"
"$PY" "$repo/packaging/test/check-examples.py" --kube "$tmp/kube" --placeholder "$TOOLS" \
	"$MESHINIT" "$repo/examples/kubernetes" >"$tmp/kube.log" 2>&1 ||
	{ cat "$tmp/kube.log"; not_ok "check-examples.py --kube"; }
n=0
for f in "$tmp/kube"/*.yaml; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	what=$(sed -n 's/^# example: //p' "$f")
	want_uids=$(sed -n 's/^# excluded uids: //p' "$f")
	pod=$(sed -n 's/^  name: //p' "$f" | head -n1)
	# --build=false, and from $tmp/kube: kube play would otherwise build
	# an image from a directory of the cwd named like the image
	if ! (cd "$tmp/kube" && pmn kube play --build=false --network "$net" "$f") >"$tmp/play.log" 2>&1; then
		not_ok "kube play $what: $(tail -n2 "$tmp/play.log")"
		pod_id "$pod" 2>/dev/null
		pmn kube down "$f" >/dev/null 2>&1
		continue
	fi
	pod_id "$pod"
	kpid=$(pod_pid "$pod")
	table "$kpid" >"$tmp/got.txt"
	init=$(sed -n '/^  initContainers:/,$ s/^  - name: //p' "$f" | head -n1)
	krc=$(pmn inspect -f '{{.State.ExitCode}} {{.State.Status}}' "$pod-$init" 2>&1)
	if [ "$krc" != "0 exited" ]; then
		not_ok "kube play $what: init container $pod-$init: $krc"
	elif [ ! -s "$tmp/got.txt" ]; then
		not_ok "kube play $what: no table inet meshinit in the pod"
	elif [ -n "$want_uids" ] && ! in_pod "$kpid" nft list set inet meshinit exclude-uids |
			grep -q "elements = { $want_uids }"; then
		not_ok "kube play $what: uid $want_uids is not excluded in the installed rules"
	else
		ok "kube play $what: init container exit 0, rules in the pod${want_uids:+ (uid $want_uids excluded)}"
	fi
	pmn kube down "$f" >/dev/null 2>&1
done
check "kube play covered every example's meshinit container ($n pods)" \
	test "$n" = "$(sed -n 's/^check-examples: \([0-9]*\) distinct meshinit containers written.*/\1/p' "$tmp/kube.log")"

echo "# check-image took $(took "$t0")"
finish
