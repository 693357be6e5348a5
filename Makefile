# qemu-pseries-dma: build and test QEMU (10.2, or 10.0) with the pseries DMA
# patch set.
#
#   make deps             install build/test dependencies (root, apt only)
#   ./configure           fetch QEMU, apply patches/LINE/, configure build/obj
#                         (--qemu=10.2, the default, or --qemu=10.0)
#   make                  build qemu-system-ppc64, qemu-img and the qtests
#   make check            build, then run all tests and print a summary
#   make check-all        what CI runs: make check on the default QEMU
#                         line, build and qtests on the others
#   make check-qtest      upstream + our qtests only
#   make check-functional Linux/SLOF guest boots only
#   make check-libvirt    the example domains through a private libvirtd
#   make check-kernels    secure guests on kernels 6.1, 6.12 and Debian's
#                         newest (KERNELS=...): a table, not part of check
#   make deps-kernels     make deps, and linux-source-6.1 (root)
#   make demo             boot a Debian guest on the default pseries machine
#   make refresh-patches  turn commits in build/qemu back into patches/
#   make checkpatch       QEMU's checkpatch.pl on patches/ and our new files
#   make check-series     build each patch on its own (no warnings) and run
#                         the qtests it adds (build/series/)
#   make bench            what the new default, the gate and bounce buffers
#                         cost, beside unpatched QEMU (build/bench/results.*)
#   make bench-qtest      virtio-blk through each kind of DMA ops (qtest only)
#   make deps-sanitizers  install clang 19, libFuzzer, sanitizers (root)
#   make check-sanitizers our qtests and qos-test under ASan + UBSan
#   make fuzz             fuzz a hostile secure guest (FUZZ_SECONDS=600)
#
# SPDX-License-Identifier: GPL-2.0-or-later

-include build/config.mak

TOP := $(abspath .)
QEMU_SRC ?= $(TOP)/build/qemu
QEMU_OBJ ?= $(TOP)/build/obj
PSERIES_DMA_CACHE ?= $(shell . build-aux/pinned.sh && pseries_dma_cache)
export PSERIES_DMA_CACHE

MESON := $(firstword $(wildcard /usr/bin/meson) meson)
QEMU_BIN := $(QEMU_OBJ)/qemu-system-ppc64

# Upstream qtests that exercise virtio and pseries, run unchanged
UPSTREAM_QTESTS := qos-test device-plug-test rtas-test pxe-test \
	boot-order-test prom-env-test boot-serial-test drive_del-test \
	device-introspect-test cpu-plug-test numa-test qom-test
# Our qtests (tests/qtest/)
OUR_QTESTS := virtio-access-platform-test spapr-uv-test virtio-dma-test \
	spapr-uv-unshare-test spapr-uv-fault-test
QTESTS := $(UPSTREAM_QTESTS) $(OUR_QTESTS)

# Our functional tests (tests/functional/)
FUNCTIONAL_TESTS := $(wildcard tests/functional/test_ppc64_*.py)
# The example domains of docs/system/ppc/libvirt/ through libvirt
LIBVIRT_TESTS := $(wildcard tests/libvirt/test_ppc64_*.py)

.PHONY: all build deps check check-all check-qtest check-functional check-libvirt \
	check-kernels deps-kernels guest-assets bench bench-qtest demo \
	refresh-patches checkpatch check-series clean distclean configured deps-sanitizers \
	check-sanitizers fuzz

all: build

configured:
	@test -f build/config.mak || { \
	  echo "Run ./configure first (after 'sudo make deps' on a new machine)." >&2; \
	  exit 1; }
	@build-aux/check-patches-current

build: configured
	@build-aux/link-new-files
	@build-aux/link-firmware $(QEMU_OBJ)
	ninja -C $(QEMU_OBJ) qemu-system-ppc64 qemu-img \
	  $(addprefix tests/qtest/,$(QTESTS))

deps:
	build-aux/install-deps

guest-assets:
	build-aux/fetch-guest-assets
	build-aux/fetch-secure-kernel

check: build guest-assets
	build-aux/test-apt-sources
	build-aux/run-tests --meson $(MESON) --obj $(QEMU_OBJ) --src $(QEMU_SRC) \
	  --qtests "$(QTESTS)" --functional "$(FUNCTIONAL_TESTS)" \
	  --libvirt "$(LIBVIRT_TESTS)"

# Reconfigures build/ for each line in turn (build-aux/pinned.sh)
check-all:
	build-aux/check-all

check-qtest: build
	build-aux/run-tests --meson $(MESON) --obj $(QEMU_OBJ) --src $(QEMU_SRC) \
	  --qtests "$(QTESTS)"

check-functional: build guest-assets
	build-aux/run-tests --meson $(MESON) --obj $(QEMU_OBJ) --src $(QEMU_SRC) \
	  --functional "$(FUNCTIONAL_TESTS)"

check-libvirt: build guest-assets
	build-aux/run-tests --meson $(MESON) --obj $(QEMU_OBJ) --src $(QEMU_SRC) \
	  --libvirt "$(LIBVIRT_TESTS)"

# The secure-guest kernel from several Debian Linux sources, each booted
# as a secure guest with 'svm=on swiotlb=force' and with 'svm=on': prints
# a table (tests/kernels/secure_guest_kernels.py).  Not part of 'make
# check': two more kernel builds (cached), and it reports, not asserts.
KERNELS ?= 6.1 6.12 newest
check-kernels: build
	cd $(QEMU_OBJ) && \
	PYTHONPATH=$(QEMU_SRC)/python:$(QEMU_SRC)/tests/functional \
	QEMU_TEST_QEMU_BINARY=$(QEMU_BIN) \
	QEMU_TEST_QEMU_IMG=$(QEMU_OBJ)/qemu-img QEMU_BUILD_ROOT=$(QEMU_OBJ) \
	$(QEMU_OBJ)/pyvenv/bin/python3 $(TOP)/tests/kernels/secure_guest_kernels.py \
	  $(KERNELS)

deps-kernels:
	build-aux/install-deps --kernels

deps-sanitizers:
	build-aux/install-deps --sanitizers

# Built with clang in build/san (build-aux/build-sanitized); any ASan or
# UBSan report fails the test that triggered it
SAN_QTESTS := qos-test $(OUR_QTESTS)
check-sanitizers: configured
	build-aux/build-sanitized qemu-system-ppc64 qemu-img \
	  $(addprefix tests/qtest/,$(SAN_QTESTS))
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
	LLVM_PROFILE_FILE=$(TOP)/build/san/prof/qtest-%p.profraw \
	RUN_TESTS_MESON_ARGS="--timeout-multiplier 5" \
	build-aux/run-tests --meson $(MESON) --obj $(TOP)/build/san \
	  --src $(QEMU_SRC) --qtests "$(SAN_QTESTS)"

fuzz: configured
	build-aux/run-fuzz

# Benchmarks, not tests: they print figures, assert nothing about speed
bench-qtest: build
	cd $(QEMU_OBJ) && QTEST_QEMU_BINARY=./qemu-system-ppc64 \
	  tests/qtest/virtio-dma-test -m perf

# BENCH_ROUNDS (5), BENCH_SCALE (1: amount of guest I/O) and BENCH_MODES
# (a subset, e.g. "unpatched,ours-default,qemu:ours-iommu") tune it
BENCH := $(TOP)/build/bench
BENCH_GUEST_CC := powerpc64le-linux-gnu-gcc
bench: build guest-assets $(BENCH)/dmabench.cpio.gz
	build-aux/build-baseline
	/usr/bin/python3 tests/bench/pseries-dma/bench.py \
	  --ours $(QEMU_BIN) --baseline $(TOP)/build/baseline/obj/qemu-system-ppc64 \
	  --qtest $(QEMU_OBJ)/tests/qtest/virtio-dma-test \
	  --kernel $(PSERIES_DMA_CACHE)/debian/vmlinux \
	  --initrd $(PSERIES_DMA_CACHE)/debian/initramfs.cpio.gz \
	  --svm-kernel $(PSERIES_DMA_CACHE)/svm/vmlinux \
	  --svm-initrd $(PSERIES_DMA_CACHE)/svm/initramfs.cpio.gz \
	  --overlay $(BENCH)/dmabench.cpio.gz --out $(BENCH) \
	  --version "$(QEMU_VERSION)"

# The guest's workload tool, static, in a cpio appended to the initramfs
$(BENCH)/dmabench: tests/bench/pseries-dma/dmabench.c
	@mkdir -p $(BENCH)
	$(BENCH_GUEST_CC) -O2 -Wall -Wextra -static -o $@ $<

$(BENCH)/dmabench.cpio.gz: $(BENCH)/dmabench
	rm -rf $(BENCH)/overlay && mkdir -p $(BENCH)/overlay/bin
	cp $< $(BENCH)/overlay/bin/
	(cd $(BENCH)/overlay && find . | cpio -o -H newc --quiet) | \
	  gzip -n > $@

demo: build guest-assets
	build-aux/demo $(QEMU_OBJ) $(QEMU_SRC)

refresh-patches: configured
	build-aux/refresh-patches

checkpatch: configured
	build-aux/checkpatch

# Every patch of the series builds on its own and passes the qtests it
# adds: like 'git rebase -x', in a worktree (build/series), not build/qemu
check-series: configured
	build-aux/check-series

clean:
	-test -d $(QEMU_OBJ) && ninja -C $(QEMU_OBJ) clean

distclean:
	rm -rf build
