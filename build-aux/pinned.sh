# Pinned QEMU source: Debian 13's QEMU 10.0 stable line.
# shellcheck shell=bash
QEMU_UPSTREAM_VERSION=10.0.13
QEMU_DEB_VERSION=1:10.0.13+ds-0+deb13u1
QEMU_ORIG_TARBALL=qemu_10.0.13+ds.orig.tar.xz
QEMU_ORIG_SHA256=6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae

pseries_dma_cache() {
    echo "${PSERIES_DMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-pseries-dma}"
}

# Fingerprint of the patch series, to notice when build/qemu is stale.
patches_hash() { # top
    find "$1/patches" -name '*.patch' | sort | xargs -r cat | sha256sum | cut -d' ' -f1
}
