# The QEMU lines the series is maintained for, each pinned to one Debian
# source package by version and sha256.  The first is the default.
#  - 10.2: the newest QEMU whose source Debian's mirror serves (unstable;
#    the 11.1.x of trixie-backports and unstable is listed in the indexes
#    but its source files are not served);
#  - 10.0: Debian 13's stable line.
# shellcheck shell=bash
QEMU_LINES="10.2 10.0"

# pinned_line LINE: set QEMU_LINE, QEMU_UPSTREAM_VERSION, QEMU_DEB_VERSION,
# QEMU_ORIG_TARBALL, QEMU_ORIG_SHA256 and QEMU_DEB_SUITES (the suites
# whose deb-src indexes carry it); fails for an unknown line
pinned_line() {
    case "$1" in
    10.2)
        QEMU_UPSTREAM_VERSION=10.2.2
        QEMU_DEB_VERSION=1:10.2.2+ds-1
        QEMU_ORIG_TARBALL=qemu_10.2.2+ds.orig.tar.xz
        QEMU_ORIG_SHA256=be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb
        QEMU_DEB_SUITES=unstable
        ;;
    10.0)
        QEMU_UPSTREAM_VERSION=10.0.13
        QEMU_DEB_VERSION=1:10.0.13+ds-0+deb13u1
        QEMU_ORIG_TARBALL=qemu_10.0.13+ds.orig.tar.xz
        QEMU_ORIG_SHA256=6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae
        QEMU_DEB_SUITES="trixie trixie-updates trixie-security"
        ;;
    *)
        return 1
        ;;
    esac
    QEMU_LINE=$1
}

# The line build/ is configured for (build/config.mak), else the default
configured_line() { # top
    local line
    line=$(sed -n 's/^QEMU_LINE = //p' "$1/build/config.mak" 2>/dev/null || true)
    echo "${line:-${QEMU_LINES%% *}}"
}

pseries_dma_cache() {
    echo "${PSERIES_DMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-pseries-dma}"
}

# Fingerprint of a line's patch series, to notice when build/qemu is stale.
patches_hash() { # top line
    find "$1/patches/$2" -name '*.patch' | sort | xargs -r cat | sha256sum | cut -d' ' -f1
}
