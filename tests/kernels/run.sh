#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-kernels: the project's suites inside Debian's own kernels,
# each booted in QEMU from one cached Debian bookworm disk image
# (tests/kernels/build-image.sh; snapshot=on, never written). The build
# (meshinit, the sanitizer build, build/rootfs, the test scripts and the
# conformance harness) goes in on a second disk; the guest writes its
# results to a second serial port, parsed here.
#
#   tests/kernels/run.sh            the matrix below (check-kernels)
#   tests/kernels/run.sh --bench N  N boots of each kernel measuring only
#                                   the first install after boot (make bench)
#
# Environment: KERNELS_CACHE (default /var/cache/meshinit-kernels),
# KERNELS_ACCEL (auto|kvm|tcg; auto: KVM if a guest boots under it within
# KERNELS_KVM_PROBE seconds, else TCG), KERNELS_ONLY (kernel series to run,
# e.g. "6.1"), KERNELS_RUN (what runs in each boot instead of the matrix's
# plan, guest.sh's mi.run syntax), KERNELS_EXTRA, KERNELS_CONFORMANCE
# (plan|all|none, below), KERNELS_PROBE_SCALE and KERNELS_PROBE_INFLIGHT
# (harness-python), KERNELS_TIMEOUT (seconds per guest, default 1800),
# KERNELS_SMP and KERNELS_CPU (TCG's vCPUs, default 2, and model, default
# max), BUILD (default build), CONFORMANCE_DIR.
# Last line: "kernels: N passed, N failed, N skipped" (one per suite run).
set -u
# (one block, read whole before it runs: editing this file cannot
# disturb a run in progress)
{
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
BUILD=${BUILD:-build}
CACHE=${KERNELS_CACHE:-/var/cache/meshinit-kernels}
ACCEL=${KERNELS_ACCEL:-auto}
CONFORMANCE_DIR=${CONFORMANCE_DIR:-$repo/../shared/conformance}
out=$repo/$BUILD/kernels
mode=check
boots=1
if [ "${1:-}" = --bench ]; then
	mode=bench
	boots=${2:-3}
fi

# The matrix: kernel series, what runs in its boot (guest.sh's mi.run).
# Chosen so that it fits the budget under TCG on 2 cores: every kernel
# runs the unshare suite and the real-traffic netns tests (default
# injection, HAProxy, init-container exclusion v4/v6, TPROXY, DNS,
# explain --kernel, trace); 6.1 also the missing-module case (first in
# its boot: nothing may have loaded nft_tproxy yet) and the image rootfs
# test; 5.10 and 6.12 measure the first install after boot. The
# conformance suite runs whole in 6.12 (the newest, the kernel of
# Debian's current nodes) and, in 5.10 and 6.1, the six cases that
# between them reach every kind of rule Istio programs (below), with its
# probe waits scaled for emulation (harness-python).
# KERNELS_CONFORMANCE=all runs every case in each kernel, =none none.
NETNS=0001+0002+0003+0004+2001+2002+4000+4010+4020
# tproxy: TPROXY v4+v6, ct mark, the ::6 passthrough, an excluded NIC,
# DNS; dns-uid-gid: DNS capture, conntrack zones, several uids and gids;
# ipv6-uid-gid: owner matches over IPv6, kube-virt NICs;
# loopback-outbound-iprange: include/exclude interval sets, the loopback
# CIDR; kube-virt-interfaces: prerouting redirects by input NIC;
# drop-invalid: ct state invalid
KEY_CASES=tproxy+dns-uid-gid+ipv6-uid-gid+loopback-outbound-iprange+kube-virt-interfaces+drop-invalid
conf() { # conf all | conf CASE+CASE..: ",conformance:..." as KERNELS_CONFORMANCE says
	case ${KERNELS_CONFORMANCE:-plan} in
	all) echo ",conformance:all";;
	none) ;;
	*) echo ",conformance:$1";;
	esac
}
declare -A PLAN=(
	[5.10]="firstinstall,unshare,netns:$NETNS$(conf $KEY_CASES)"
	[6.1]="nomod,unshare,netns:$NETNS+5000$(conf $KEY_CASES)"
	[6.12]="firstinstall,unshare,netns:$NETNS$(conf all)"
)
SERIES=${KERNELS_ONLY:-5.10 6.1 6.12}

say() { echo "kernels: $*"; }
die() { echo "kernels: $*"; echo "kernels: 0 passed, 1 failed, 0 skipped"; exit 1; }

# a misspelt setting must not quietly run another plan or other waits
case ${KERNELS_CONFORMANCE:-plan} in
plan|all|none) ;;
*) die "KERNELS_CONFORMANCE=$KERNELS_CONFORMANCE: use plan (the default), all or none";;
esac
[[ ${KERNELS_PROBE_SCALE:-10} =~ ^[0-9]+(\.[0-9]+)?$ && ${KERNELS_PROBE_SCALE:-10} =~ [1-9] ]] ||
	die "KERNELS_PROBE_SCALE=$KERNELS_PROBE_SCALE: a positive number, e.g. 10 (the harness's probe waits times this)"
[[ ${KERNELS_PROBE_INFLIGHT:-32} =~ ^[1-9][0-9]*$ ]] ||
	die "KERNELS_PROBE_INFLIGHT=$KERNELS_PROBE_INFLIGHT: a whole number of connections, 1 or more, e.g. 32"
[ "$(id -u)" = 0 ] || { echo "kernels: skipped (needs root: debootstrap, mke2fs -d of root-owned files)"; echo "kernels: 0 passed, 0 failed, 1 skipped"; exit 0; }
for t in qemu-system-x86_64 debootstrap mke2fs; do
	command -v $t >/dev/null || die "$t is missing (make deps installs it)"
done
[ -x meshinit ] && [ -x "$BUILD/meshinit-san" ] && [ -x "$BUILD/meshinit-test" ] && [ -d "$BUILD/rootfs" ] ||
	die "build first: meshinit, $BUILD/meshinit-san, $BUILD/meshinit-test, $BUILD/rootfs (make check-kernels does)"
[ -x "$CONFORMANCE_DIR/run-all" ] || die "no conformance harness at $CONFORMANCE_DIR"
for c in ${KEY_CASES//+/ }; do
	[ -f "$CONFORMANCE_DIR/cases/$c.case" ] || die "the plan names conformance case $c, which $CONFORMANCE_DIR/cases does not have"
done

t_start=$(date +%s)
img=$("$here/build-image.sh" "$CACHE") || die "could not build the guest image"
say "image $img ($(( $(date +%s) - t_start )) s)"

# --- the project disk ------------------------------------------------------
rm -rf "$out"
mkdir -p "$out/project/build" "$out/project/tests" "$out/project/bench" "$out/project/packaging"
p=$out/project
cp meshinit "$p/"
cp "$BUILD/meshinit-san" "$BUILD/meshinit-test" "$p/build/"
cp -a "$BUILD/rootfs" "$p/build/rootfs"
cp -r netns-tests "$p/"
cp -r tests/. "$p/tests/"
cp bench/kernels-first-install.sh "$p/bench/"
mkdir -p "$p/packaging/test" && cp packaging/test/chroot-netadmin.c "$p/packaging/test/"
mkdir -p "$p/shared" && cp -r "$CONFORMANCE_DIR" "$p/shared/conformance"
cp tests/kernels/guest.sh "$p/guest.sh"
# settings for the guest (harness-python's probe waits), when given
for v in KERNELS_PROBE_SCALE KERNELS_PROBE_INFLIGHT; do
	[ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}"
done >"$p/guest.env"
# by hand: KERNELS_EXTRA=DIR KERNELS_RUN=script:extra/run.sh runs DIR/run.sh in the guest
[ -z "${KERNELS_EXTRA:-}" ] || cp -r "$KERNELS_EXTRA" "$p/extra"
mke2fs -q -t ext4 -L mi-project -d "$p" "$out/project.img" 256M >/dev/null || die "mke2fs of the project disk failed"

kernel_of() { # SERIES -> the kernel release in the image
	local k
	for k in "$img"/vmlinuz-*; do
		k=${k##*/vmlinuz-}
		case $k in "$1".*) echo "$k"; return 0;; esac
	done
	return 1
}

# boot NAME SERIES RUN TIMEOUT ACCEL: one guest; results in $out/NAME.results
boot() {
	local name=$1 k=$2 run=$3 to=$4 accel=$5 acc
	case $accel in
	kvm) acc=(-accel kvm -cpu host);;
	*) acc=(-accel tcg,thread=multi -cpu "${KERNELS_CPU:-max}");;
	esac
	: >"$out/$name.results"
	# (a subshell: the shell's own "Aborted" notice goes to the log too)
	( timeout --kill-after=10 "$to" qemu-system-x86_64 "${acc[@]}" -smp "${KERNELS_SMP:-2}" -m 2048 \
		-display none -monitor none -no-reboot -nic none \
		-device virtio-rng-pci \
		-kernel "$img/vmlinuz-$k" -initrd "$img/initrd.img-$k" \
		-append "root=/dev/vda rw console=ttyS0 init=/sbin/mi-init panic=-1 no_timer_check mi.run=$run" \
		-drive "file=$img/rootfs.img,format=raw,if=virtio,snapshot=on" \
		-drive "file=$out/project.img,format=raw,if=virtio,snapshot=on" \
		-serial "file:$out/$name.console" -serial "file:$out/$name.results" \
		>"$out/$name.qemu" 2>&1; exit $? ) 2>>"$out/$name.qemu"
}

F=0
# --- KVM or TCG -------------------------------------------------------------
if [ "$ACCEL" = auto ]; then
	ACCEL=tcg
	if [ -w /dev/kvm ]; then
		k=$(kernel_of 6.1) || die "no 6.1 kernel in the image"
		t0=$(date +%s)
		boot kvm-probe "$k" none "${KERNELS_KVM_PROBE:-45}" kvm
		prc=$?
		if grep -q '^@@ DONE' "$out/kvm-probe.results"; then
			ACCEL=kvm
			say "KVM works (a guest booted and finished in $(( $(date +%s) - t0 )) s)"
		else
			# QEMU's own complaint, if it made one (e.g. an MSR it
			# could not set), else the guest's last console line
			why=$(grep -m1 -iE 'error|assert|fail' "$out/kvm-probe.qemu" | cut -c1-160)
			[ -n "$why" ] || why=$(tail -n1 "$out/kvm-probe.console" 2>/dev/null | tr -d '\r' | cut -c1-160)
			case $prc in
			124|137) why="no finished guest within ${KERNELS_KVM_PROBE:-45} s${why:+; last: $why}";;
			*) why="QEMU exited with status $prc after $(( $(date +%s) - t0 )) s${why:+: $why}";;
			esac
			say "KVM does not work here ($why); using TCG"
		fi
	else
		say "no usable /dev/kvm; using TCG"
	fi
fi
say "accelerator: $ACCEL"

# --- the matrix -----------------------------------------------------------
# The guests boot side by side (KERNELS_JOBS at once, default: all): one
# guest's tests leave a core idle much of the time (sleeps, timeouts,
# waiting for listeners), so two cores serve three guests well.
JOBS=${KERNELS_JOBS:-9}
# a benchmark boots one guest at a time: others would share its cores
[ $mode = check ] || JOBS=1
names=() runs=() starts=()
running=0
for s in $SERIES; do
	k=$(kernel_of "$s") || { say "FAIL: no $s kernel in $img"; F=$((F + 1)); continue; }
	for b in $(seq 1 "$boots"); do
		if [ $mode = bench ]; then
			run=firstinstall name=bench-$k-$b to=900
		else
			run=${KERNELS_RUN:-${PLAN[$s]}} name=$k to=${KERNELS_TIMEOUT:-1800}
		fi
		names+=("$name") runs+=("$run")
		if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
		say "boot $name: $run"
		( t0=$(date +%s); boot "$name" "$k" "$run" "$to" "$ACCEL"; rc=$?
		  # One more boot, said so, for a guest the emulator broke: one
		  # that never reached its init (an emulated timer too slow for
		  # the kernel's boot checks on a loaded machine), or one whose
		  # kernel died on an int3 in its own text, which multi-threaded
		  # TCG leaves behind when the kernel patches its code (jump
		  # labels) while the other vCPU runs it (seen on 6.12: at boot,
		  # and once during the conformance suite). Any other failure
		  # is the run's verdict.
		  why=
		  if ! grep -q '^@@ KERNEL' "$out/$name.results"; then
			  why="no guest init within the first boot"
		  elif ! grep -q '^@@ DONE' "$out/$name.results" &&
			  grep -q 'Oops: int3' "$out/$name.console"; then
			  why="the guest kernel died on an int3 of the emulator's code patching"
		  fi
		  if [ -n "$why" ]; then
			  cp "$out/$name.console" "$out/$name.console.first"
			  cp "$out/$name.results" "$out/$name.results.first"
			  echo "$why" >"$out/$name.reboot"
			  say "boot $name: $why ($(grep -m1 -E 'Kernel panic|Oops|BUG:' "$out/$name.console" | cut -c1-120)); booting again"
			  boot "$name" "$k" "$run" "$to" "$ACCEL"; rc=$?
		  fi
		  echo "$rc $(( $(date +%s) - t0 ))" >"$out/$name.rc" ) &
		running=$((running + 1))
	done
done
wait

P=0 F=${F:-0} S=0
tot_p=0 tot_f=0 tot_s=0
for i in "${!names[@]}"; do
	name=${names[$i]} run=${runs[$i]} r=$out/${names[$i]}.results
	read -r rc secs <"$out/$name.rc"
	# the guest's serial port ends its lines with \r\n
	sed -i 's/\r$//' "$r"
	if [ $mode = bench ]; then
		grep -q '^@@ DONE' "$r" || say "bench boot $name did not finish (qemu exit $rc)"
		continue
	fi
	say "== $name: $run"
	grep '^first-install:' "$r" | sed 's/^/   /'
	[ ! -f "$out/$name.reboot" ] ||
		say "   booted twice: $(cat "$out/$name.reboot") (first boot: $name.console.first)"
	# conformance cases that passed only when run again (guest.sh)
	sed -n 's/^@@ RETRIED \([a-z]*\): /   passed on a second run (\1): /p' "$r"
	while read -r _ _ suite rest; do
		suite=${suite%:}
		set -- $(echo "$rest" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p')
		[ $# = 3 ] || set -- 0 1 0
		secs_s=$(sed -n "s/^@@ END $suite rc=[0-9]* secs=\([0-9]*\)$/\1/p" "$r")
		say "   $name $suite: $1 passed, $2 failed, $3 skipped (${secs_s:-?} s)"
		tot_p=$((tot_p + $1)) tot_f=$((tot_f + $2)) tot_s=$((tot_s + $3))
		if [ "$2" != 0 ]; then F=$((F + 1)); elif [ "$1" = 0 ]; then S=$((S + 1)); else P=$((P + 1)); fi
	done < <(grep '^@@ RESULT ' "$r")
	# the netns tests' own per-test lines, and every failure
	grep -E '^(ok|SKIP) [0-9]{4}-' "$r" | sed 's/^/     /'
	grep -E '^FAIL|: FAIL' "$r" | head -n 30 | sed 's/^/   | /'
	if ! grep -q '^@@ DONE' "$r"; then
		say "   FAIL: the $name guest did not finish (qemu exit $rc after $secs s; console $out/$name.console)"
		tail -n 15 "$out/$name.console" | sed 's/^/   | /'
		F=$((F + 1))
	fi
	# every planned suite reported
	for want in ${run//,/ }; do
		want=${want%%:*}
		case $want in firstinstall|none) continue;; esac
		grep -q "^@@ RESULT $want:" "$r" || { say "   FAIL: $name: no result from $want"; F=$((F + 1)); }
	done
	say "   $name: $secs s; full output $r"
done
if [ $mode = bench ]; then
	# one row per boot: install times after a fresh boot (module autoload)
	# against the same install once the modules are loaded
	echo
	echo "First install after boot on Debian's kernels ($ACCEL, $boots boot(s) each; wall-clock ms, not asserted)"
	printf '%-28s %4s %9s %9s %9s %9s  %s\n' kernel boot redir-1st redir-2nd tproxy-1st tproxy-2nd \
		"modules loaded by the first REDIRECT install; by the first TPROXY install"
	cat "$out"/bench-*.results 2>/dev/null | grep '^first-install: .* step=' | awk '
		{ delete f; for (i = 2; i <= NF; i++) { j = index($i, "="); f[substr($i, 1, j - 1)] = substr($i, j + 1) }
		  k = f["kernel"]; ms[f["step"]] = f["ms"] (f["exit"] == "0" ? "" : "(exit " f["exit"] ")")
		  ld[f["step"]] = f["loaded"] }
		f["step"] == "tproxy-second" {
			n[k]++
			printf "%-28s %4d %9s %9s %9s %9s  %s; %s\n", k, n[k], ms["redirect-first"], ms["redirect-second"],
				ms["tproxy-first"], ms["tproxy-second"], ld["redirect-first"], ld["tproxy-first"]
		}'
	exit 0
fi
say "total $(( $(date +%s) - t_start )) s ($ACCEL); tests inside the guests: $tot_p passed, $tot_f failed, $tot_s skipped"
echo "kernels: $P passed, $F failed, $S skipped"
[ $F = 0 ]
exit
}
