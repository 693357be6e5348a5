/*
 * libqos: what a pseries guest asks of its hypervisor and Ultravisor
 *
 * The PAPR hypercalls and Ultravisor ultracalls that the qtests make, by
 * their Linux names (arch/powerpc/include/asm/hvcall.h and
 * ultravisor-api.h), and what a secure guest's kernel does with them:
 * enter secure mode as prom_init does, share and unshare pages as its
 * DMA code does, and what QEMU's emulated Ultravisor says of it all
 * (query-pef).  The calls are made by the first vCPU, with
 * qtest_spapr_hcall() and qtest_spapr_ucall().
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef LIBQOS_SPAPR_GUEST_H
#define LIBQOS_SPAPR_GUEST_H

#include "../libqtest.h"
#include "qobject/qdict.h"

/*
 * The machine types around the ACCESS_PLATFORM default: the series adds
 * the next machine type of the QEMU release it applies to (pseries-10.1
 * on 10.0, pseries-11.0 on 10.2), which offers it; the release's own
 * newest one keeps upstream's behaviour.
 */
#define QSPAPR_STR_(x)          #x
#define QSPAPR_STR(x)           QSPAPR_STR_(x)
#define QSPAPR_MACHINE_PRE_DEFAULT \
    "pseries-" QSPAPR_STR(QEMU_VERSION_MAJOR) "." QSPAPR_STR(QEMU_VERSION_MINOR)

/* hcall return codes; what r3 holds, as a 64-bit register */
#define H_SUCCESS               0
#define H_BUSY                  1
#define H_FUNCTION              ((uint64_t)-2)
#define H_PARAMETER             ((uint64_t)-4)

/* hcall opcodes */
#define H_GET_TCE               0x1C
#define H_PUT_TCE               0x20
#define H_PAGE_INIT             0x2C
#define H_LOGICAL_CI_LOAD       0x3C
#define H_LOGICAL_CI_STORE      0x40
#define H_LOGICAL_CACHE_LOAD    0x44
#define H_LOGICAL_CACHE_STORE   0x48
#define H_LOGICAL_DCBF          0x50
#define H_REGISTER_VPA          0xDC
#define H_PROD                  0xE8
#define H_STUFF_TCE             0x138
#define H_PUT_TCE_INDIRECT      0x13C
#define H_RANDOM                0x300
#define H_SET_MODE              0x31C
#define H_RTAS                  0xF000  /* QEMU's KVMPPC_H_RTAS */
#define H_ENTER_NESTED          0xF804

/* Ultravisor return codes: the hcalls' (ultravisor-api.h) */
#define U_SUCCESS               H_SUCCESS
#define U_BUSY                  H_BUSY
#define U_FUNCTION              H_FUNCTION
#define U_PARAMETER             H_PARAMETER
#define U_RETRY                 ((uint64_t)-5)
#define U_PERMISSION            ((uint64_t)-11)
#define U_P2                    ((uint64_t)-55)
#define U_P3                    ((uint64_t)-56)

/* ultracall opcodes */
#define UV_WRITE_PATE           0xF104
#define UV_ESM                  0xF110
#define UV_PAGE_IN              0xF128
#define UV_SHARE_PAGE           0xF130
#define UV_UNSHARE_PAGE         0xF134
#define UV_SVM_TERMINATE        0xF13C
#define UV_UNSHARE_ALL_PAGES    0xF140

/*
 * The Ultravisor's page, the unit of UV_SHARE_PAGE and UV_UNSHARE_PAGE:
 * pef-guest's default page-size.  The helpers below use it; a test of
 * another page-size makes its ultracalls with qspapr_ucall().
 */
#define QSPAPR_UV_PAGE_SHIFT    16
#define QSPAPR_UV_PAGE_SIZE     (1ULL << QSPAPR_UV_PAGE_SHIFT)

/* What UV_ESM gets from Linux's prom_init: where the kernel is */
#define QSPAPR_KBASE            0x400000ULL
/* The magic number of a flattened device tree, the start of one */
#define QSPAPR_FDT_MAGIC        0xd00dfeed

/**
 * qspapr_uv_pfn:
 * @gpa: a guest physical address.
 *
 * Returns: the number of the Ultravisor page that holds @gpa.
 */
static inline uint64_t qspapr_uv_pfn(uint64_t gpa)
{
    return gpa >> QSPAPR_UV_PAGE_SHIFT;
}

/**
 * qspapr_uv_npages:
 * @gpa: a guest physical address.
 * @size: a length in bytes, at least 1.
 *
 * Returns: how many Ultravisor pages hold [@gpa, @gpa + @size).
 */
static inline uint64_t qspapr_uv_npages(uint64_t gpa, uint64_t size)
{
    return qspapr_uv_pfn(gpa + size - 1) - qspapr_uv_pfn(gpa) + 1;
}

/**
 * qspapr_ucall:
 * @qts: the machine.
 * @opcode: the ultracall (UV_*).
 * @r4: its first argument.
 * @r5: its second argument.
 *
 * Make an ultracall with two arguments, whatever they are: the way to
 * test the Ultravisor's checks of them.
 *
 * Returns: the ultracall's return code (r3).
 */
uint64_t qspapr_ucall(QTestState *qts, uint64_t opcode, uint64_t r4,
                      uint64_t r5);

/**
 * qspapr_uv_esm:
 * @qts: the machine.
 * @fdt: where to put the device tree.
 * @rets: if not NULL, receives r4 to r12 after the call.
 *
 * Enter secure mode as Linux's prom_init does: put the start of a
 * device tree (its magic number) at @fdt, and make UV_ESM with the
 * kernel at QSPAPR_KBASE and the device tree at @fdt.  PCI config space
 * must be done with before: the qtest's RTAS buffers become private.
 *
 * Returns: UV_ESM's return code (r3): @fdt once the guest is secure.
 */
uint64_t qspapr_uv_esm(QTestState *qts, uint64_t fdt, uint64_t *rets);

/**
 * qspapr_enter_secure:
 * @qts: the machine.
 * @fdt: where to put the device tree.
 *
 * qspapr_uv_esm(), and assert that the guest is secure now, as UV_ESM
 * and query-pef say.
 */
void qspapr_enter_secure(QTestState *qts, uint64_t fdt);

/**
 * qspapr_uv_share:
 * @qts: the machine.
 * @gpa: a guest physical address.
 * @size: a length in bytes, at least 1.
 *
 * UV_SHARE_PAGE of the Ultravisor pages that hold [@gpa, @gpa + @size):
 * the hypervisor, and so every device, may access them, zeroed.
 *
 * Returns: UV_SHARE_PAGE's return code (r3).
 */
uint64_t qspapr_uv_share(QTestState *qts, uint64_t gpa, uint64_t size);

/**
 * qspapr_uv_unshare:
 * @qts: the machine.
 * @gpa: a guest physical address.
 * @size: a length in bytes, at least 1.
 *
 * UV_UNSHARE_PAGE of the Ultravisor pages that hold [@gpa, @gpa + @size):
 * they are the guest's own again.
 *
 * Returns: UV_UNSHARE_PAGE's return code (r3).
 */
uint64_t qspapr_uv_unshare(QTestState *qts, uint64_t gpa, uint64_t size);

/**
 * qspapr_uv_unshare_all:
 * @qts: the machine.
 *
 * UV_UNSHARE_ALL_PAGES: all of the guest's memory is its own again.
 *
 * Returns: UV_UNSHARE_ALL_PAGES's return code (r3).
 */
uint64_t qspapr_uv_unshare_all(QTestState *qts);

/**
 * qspapr_query_pef:
 * @qts: the machine.
 *
 * The emulated Ultravisor's state, as query-pef reports it (QAPI's
 * PefInfo): "secure", "shared-pages", "shared" (a list of ranges with
 * "start" and "size"), "denied-reads", "last-denials", "reserved"...
 *
 * Returns: the command's "return" member, which the caller unrefs; NULL
 * if the machine has no emulated Ultravisor.
 */
QDict *qspapr_query_pef(QTestState *qts);

/**
 * qspapr_pef_stat:
 * @qts: the machine.
 * @member: the name of a number or boolean of query-pef's, e.g.
 *     "denied-reads" or "secure".
 *
 * Asserts that the machine has an emulated Ultravisor.
 *
 * Returns: that number, or 1 for true and 0 for false.
 */
int64_t qspapr_pef_stat(QTestState *qts, const char *member);

/**
 * qspapr_is_secure:
 * @qts: the machine.
 *
 * Returns: whether the guest is secure, as query-pef says: false if the
 * machine has no emulated Ultravisor.
 */
bool qspapr_is_secure(QTestState *qts);

/**
 * qspapr_pef_shared_bytes:
 * @qts: the machine.
 * @gpa: a guest physical address.
 * @size: a length in bytes.
 *
 * Returns: how many bytes of [@gpa, @gpa + @size) the guest shares, as
 * query-pef lists them: @size if all, 0 if none.
 */
uint64_t qspapr_pef_shared_bytes(QTestState *qts, uint64_t gpa,
                                 uint64_t size);

#endif
