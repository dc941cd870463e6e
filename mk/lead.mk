# Packages for the TPROXY and DNS netns tests (netns-tests/2xxx).
DEB_PKGS += conntrack
