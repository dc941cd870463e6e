# Packaging: container root filesystem, man page, install.
#   make rootfs        $(BUILD)/rootfs/: the container image's whole content
#                      (binary, istio-iptables symlink, shared libraries,
#                      passwd/group/nsswitch.conf); the Dockerfile copies it
#   make man           $(BUILD)/meshinit.8, generated from ./meshinit --help
#   make install       PREFIX=/usr/local DESTDIR=: binary, symlink, man page
#   make check-rootfs  run the rootfs as uid 1337 with only CAP_NET_ADMIN
#                      (netns-tests/5000-rootfs-chroot.sh; root)
#   make check-man     every --flag of --help is in the man page; lint it
#   make check-examples examples/kubernetes/*.yaml parse; meshinit accepts
#                      their args (--dry-run); NET_ADMIN only; ordering

DEB_PKGS += util-linux groff-base libcap2-bin python3-yaml
# check-rootfs is also run by check-netns (netns-tests/5000)
CHECK_TARGETS += check-man check-examples

ROOTFS := $(BUILD)/rootfs
MAN := $(BUILD)/meshinit.8
INSTALL ?= install
# Kubernetes-facing rootfs limit: 3 MiB of content
ROOTFS_MAX_BYTES := 3145728
# 1: give the binary the file capability cap_net_admin=p (needs setcap)
ROOTFS_FILECAPS ?= 1

$(BUILD)/rootfs.stamp: meshinit packaging/mkrootfs.sh packaging/passwd \
		packaging/group packaging/nsswitch.conf LICENSE mk/package.mk
	FILECAPS=$(ROOTFS_FILECAPS) packaging/mkrootfs.sh meshinit $(ROOTFS)
	@size=$$(du -sb $(ROOTFS) | cut -f1); \
	if [ $$size -gt $(ROOTFS_MAX_BYTES) ]; then \
		echo "rootfs is $$size bytes, more than $(ROOTFS_MAX_BYTES)"; exit 1; \
	fi
	@touch $@

# The stamp lives outside the image content (mkrootfs.sh wipes the dir).
rootfs: $(BUILD)/rootfs.stamp

$(MAN): meshinit packaging/gen-man.sh packaging/meshinit.8.tail
	@mkdir -p $(@D)
	packaging/gen-man.sh ./meshinit packaging/meshinit.8.tail > $@.tmp
	mv $@.tmp $@

man: $(MAN)

install: meshinit $(MAN)
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8
	$(INSTALL) -m 0755 meshinit $(DESTDIR)$(PREFIX)/bin/meshinit
	ln -sf meshinit $(DESTDIR)$(PREFIX)/bin/istio-iptables
	$(INSTALL) -m 0644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man8/meshinit.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/meshinit $(DESTDIR)$(PREFIX)/bin/istio-iptables \
		$(DESTDIR)$(PREFIX)/share/man/man8/meshinit.8

check-man: meshinit $(MAN)
	@packaging/test/check-man.sh ./meshinit $(MAN)

check-examples: meshinit
	@/usr/bin/python3 packaging/test/check-examples.py ./meshinit examples/kubernetes

check-rootfs: rootfs
	@ROOTFS=$(abspath $(ROOTFS)) CC="$(CC)" netns-tests/5000-rootfs-chroot.sh; \
	rc=$$?; if [ $$rc = 77 ]; then echo "check-rootfs: SKIPPED (needs root)"; else exit $$rc; fi

.PHONY: rootfs man install uninstall check-man check-examples check-rootfs
