/*
 * QTest for the pseries emulated Ultravisor (PEF under TCG)
 *
 * Ultracalls are made with the "ucall" qtest command, as the first vCPU
 * would with "sc 2".  qtest's own memory accesses are the vCPU's, which
 * the Ultravisor's gate never restricts; the hypervisor's view is probed
 * with hcalls that read guest memory.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "libqos/libqos.h"
#include "libqos/spapr-guest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"

#define RAM_SIZE                (512 * MiB)
#define PAGE_SIZE               QSPAPR_UV_PAGE_SIZE
#define NR_PAGES                (RAM_SIZE / PAGE_SIZE)
#define KBASE                   QSPAPR_KBASE
#define FDT_ADDR                0x2000000ULL

static const char *pef_args =
    "-machine pseries,confidential-guest-support=pef0 "
    "-object pef-guest,id=pef0 -m 512M";

/* query-pef: one shared range, and the last denial where we probed */
static void check_query_pef(QTestState *qts, uint64_t start, uint64_t size,
                            uint64_t denied_gpa)
{
    QDict *info = qspapr_query_pef(qts);
    QList *shared = qdict_get_qlist(info, "shared");
    QList *denials = qdict_get_qlist(info, "last-denials");
    QDict *range, *denial = NULL;
    QListEntry *e;

    g_assert_true(qdict_get_bool(info, "secure"));
    g_assert_cmpint(qlist_size(shared), ==, 1);
    range = qobject_to(QDict, qlist_peek(shared));
    g_assert_cmphex(qdict_get_int(range, "start"), ==, start);
    g_assert_cmphex(qdict_get_int(range, "size"), ==, size);
    g_assert_cmpint(qlist_size(denials), >, 0);
    QLIST_FOREACH_ENTRY(denials, e) {
        denial = qobject_to(QDict, qlist_entry_obj(e));
    }
    g_assert_cmphex(qdict_get_int(denial, "gpa"), ==, denied_gpa);
    g_assert_false(qdict_get_bool(denial, "write"));
    qobject_unref(info);
}

/* HMP "info pef" says the same as query-pef */
static void check_info_pef(QTestState *qts, uint64_t start, uint64_t size,
                           uint64_t denied_gpa)
{
    g_autofree char *out = qtest_hmp(qts, "info pef");
    g_autofree char *range = g_strdup_printf("0x%016" PRIx64 "-0x%016" PRIx64,
                                             start, start + size - 1);
    g_autofree char *denial = g_strdup_printf("read of 8 bytes at 0x%" PRIx64,
                                              denied_gpa);

    g_assert_nonnull(strstr(out, "secure: yes"));
    g_assert_nonnull(strstr(out, "shared pages: 2"));
    g_assert_nonnull(strstr(out, range));
    g_assert_nonnull(strstr(out, denial));
}

/* A secure guest on a pseries machine with @pef_opts for pef-guest */
static QTestState *secure_guest_pef(const char *pef_opts,
                                    const char *extra_args)
{
    QTestState *qts = qtest_initf("-machine pseries,confidential-guest-"
                                  "support=pef0 -object pef-guest,id=pef0%s "
                                  "-m 512M %s", pef_opts, extra_args);
    uint64_t rets[9];

    g_assert_cmphex(qspapr_uv_esm(qts, FDT_ADDR, rets), ==, FDT_ADDR);
    g_assert_cmphex(rets[0], ==, KBASE);       /* r4 */
    g_assert_cmphex(rets[1], ==, 0);           /* r5 */
    g_assert_cmpint(qspapr_pef_stat(qts, "secure"), ==, 1);
    return qts;
}

static QTestState *secure_guest_with(const char *extra_args)
{
    return secure_guest_pef("", extra_args);
}

static QTestState *secure_guest(void)
{
    return secure_guest_with("");
}

/* Without pef-guest, ultracalls fail as when no Ultravisor is there */
static void test_no_ultravisor(void)
{
    QTestState *qts = qtest_init("-machine pseries");
    g_autofree char *out = qtest_hmp(qts, "info pef");

    g_assert_nonnull(strstr(out, "no emulated Ultravisor"));

    g_assert_cmphex(qspapr_uv_esm(qts, FDT_ADDR, NULL), ==, U_FUNCTION);
    qtest_quit(qts);
}

static void test_before_esm(void)
{
    QTestState *qts = qtest_init(pef_args);

    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, 1, 1), ==, U_PERMISSION);
    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_PAGE, 1, 1), ==,
                    U_PERMISSION);
    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_ALL_PAGES, 0, 0), ==,
                    U_PERMISSION);
    g_assert_cmphex(qspapr_ucall(qts, 0xF1FC, 0, 0), ==, U_FUNCTION);
    g_assert_cmpint(qspapr_pef_stat(qts, "secure"), ==, 0);
    qtest_quit(qts);
}

static void test_esm_errors(void)
{
    QTestState *qts = qtest_init(pef_args);

    qtest_writel(qts, FDT_ADDR, QSPAPR_FDT_MAGIC);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, 0, FDT_ADDR), ==, U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, KBASE + 2, FDT_ADDR), ==, U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, RAM_SIZE, FDT_ADDR), ==, U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, KBASE, 0), ==, U_P3);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, KBASE, RAM_SIZE), ==, U_P3);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, KBASE, UINT64_MAX - 1), ==,
                    U_P3);
    /* no device tree there */
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, KBASE, FDT_ADDR + PAGE_SIZE),
                    ==, U_P3);
    g_assert_cmpint(qspapr_pef_stat(qts, "secure"), ==, 0);
    qtest_quit(qts);
}

static void test_esm(void)
{
    QTestState *qts = secure_guest();

    /* The real Ultravisor cannot make a secure guest secure again */
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, KBASE, FDT_ADDR), ==, U_RETRY);
    g_assert_cmpint(qspapr_pef_stat(qts, "shared-pages"), ==, 0);
    qtest_quit(qts);
}

static void test_share_errors(void)
{
    QTestState *qts = secure_guest();

    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, NR_PAGES, 1), ==, U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, 1, 0), ==, U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, NR_PAGES - 1, 2), ==,
                    U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, 1, UINT64_MAX), ==,
                    U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, UINT64_MAX, 2), ==,
                    U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_PAGE, NR_PAGES, 1), ==,
                    U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_PAGE, 0, 0), ==, U_P2);
    g_assert_cmphex(qspapr_ucall(qts, 0xF1FC, 0, 0), ==, U_FUNCTION);
    g_assert_cmpint(qspapr_pef_stat(qts, "shared-pages"), ==, 0);
    qtest_quit(qts);
}

/*
 * Sharing zeroes a page for the hypervisor; unsharing zeroes it again
 * before the guest gets it back; H_LOGICAL_CI_LOAD reads it as the
 * hypervisor, through the gate.
 */
static void test_share_unshare(void)
{
    QTestState *qts = secure_guest();
    uint64_t page = 0x100, gpa = page * PAGE_SIZE;
    uint64_t args[] = { 8, gpa + 8 };
    uint64_t rets[9];

    qtest_writeq(qts, gpa + 8, 0x5ec7e75ec7e75ec7ULL);

    /* Private: the hypervisor reads nothing */
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), >, 0);

    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, page, 2), ==, U_SUCCESS);
    g_assert_cmpint(qspapr_pef_stat(qts, "shared-pages"), ==, 2);
    check_query_pef(qts, gpa, 2 * PAGE_SIZE, gpa + 8);
    check_info_pef(qts, gpa, 2 * PAGE_SIZE, gpa + 8);
    g_assert_cmphex(qtest_readq(qts, gpa + 8), ==, 0);

    /* Shared: the hypervisor sees what the guest writes */
    qtest_writeq(qts, gpa + 8, 0x0123456789abcdefULL);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0x0123456789abcdefULL);

    /* Sharing again changes nothing, the page is not zeroed again */
    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, page, 1), ==, U_SUCCESS);
    g_assert_cmphex(qtest_readq(qts, gpa + 8), ==, 0x0123456789abcdefULL);

    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_PAGE, page, 1), ==,
                    U_SUCCESS);
    g_assert_cmpint(qspapr_pef_stat(qts, "shared-pages"), ==, 1);
    g_assert_cmphex(qtest_readq(qts, gpa + 8), ==, 0);
    qtest_writeq(qts, gpa + 8, 0x5ec7e75ec7e75ec7ULL);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0);

    /* The page after it is still shared, until UV_UNSHARE_ALL_PAGES */
    qtest_writeq(qts, gpa + PAGE_SIZE, 42);
    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_ALL_PAGES, 0, 0), ==,
                    U_SUCCESS);
    g_assert_cmpint(qspapr_pef_stat(qts, "shared-pages"), ==, 0);
    g_assert_cmphex(qtest_readq(qts, gpa + PAGE_SIZE), ==, 0);
    qtest_quit(qts);
}

/* The Ultravisor refuses H_RANDOM for a secure guest, as the real one */
static void test_h_random(void)
{
    QTestState *qts = qtest_init(pef_args);

    g_assert_cmphex(qtest_spapr_hcall(qts, H_RANDOM, 0, NULL, NULL), ==,
                    H_FUNCTION);        /* no spapr-rng device */
    qtest_quit(qts);

    qts = secure_guest();
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RANDOM, 0, NULL, NULL), ==,
                    H_FUNCTION);
    /* and nested guests: H_ENTER_NESTED */
    g_assert_cmphex(qtest_spapr_hcall(qts, H_ENTER_NESTED, 0, NULL, NULL),
                    ==, H_FUNCTION);
    qtest_quit(qts);
}

/* stop-on-violation: the first refused access stops the VM */
static void test_stop_on_violation(void)
{
    QTestState *qts = qtest_init(
        "-machine pseries,confidential-guest-support=pef0 "
        "-object pef-guest,id=pef0,stop-on-violation=on -m 512M");
    uint64_t args[] = { 8, 0x100 * PAGE_SIZE };
    QDict *rsp;

    qspapr_enter_secure(qts, FDT_ADDR);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, NULL),
                    ==, H_SUCCESS);
    qtest_qmp_eventwait(qts, "STOP");
    rsp = qtest_qmp(qts, "{ 'execute': 'query-status' }");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "return"), "status"),
                    ==, "paused");
    qobject_unref(rsp);
    qtest_quit(qts);
}

/*
 * pef-guest,x-gate=off, the debug setting make bench measures the gate
 * with: the hypervisor side then does read a private page, nothing is
 * counted, and the setting cannot change under a running machine.
 */
static void test_x_gate_off(void)
{
    QTestState *qts = qtest_init(
        "-machine pseries,confidential-guest-support=pef0 "
        "-object pef-guest,id=pef0,x-gate=off -m 512M");
    uint64_t gpa = 0x100 * PAGE_SIZE, args[] = { 8, gpa }, rets[9];
    QDict *rsp;

    qtest_writeq(qts, gpa, 0x5ec7e75ec7e75ec7ULL);
    qspapr_enter_secure(qts, FDT_ADDR);
    g_assert_cmpint(qspapr_pef_stat(qts, "secure"), ==, 1);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0x5ec7e75ec7e75ec7ULL);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 0);

    rsp = qtest_qmp(qts, "{ 'execute': 'qom-set', 'arguments': { 'path': "
                    "'/objects/pef0', 'property': 'x-gate', 'value': true } }");
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"),
                            "cannot change once the machine uses it"));
    qobject_unref(rsp);
    qtest_quit(qts);
}

#define RTAS_GET_TIME_OF_DAY        0x2001
#define RTAS_IBM_GET_SYSTEM_PARAMETER 0x2008
#define RTAS_IBM_SET_SYSTEM_PARAMETER 0x2009
#define RTAS_IBM_OS_TERM            0x201F
#define RTAS_IBM_CONFIGURE_CONNECTOR 0x201E
#define RTAS_NVRAM_FETCH            0x2012
#define RTAS_NVRAM_STORE            0x2013
#define RTAS_SYSPARM_SPLPAR_CHARACTERISTICS 20

#define BOUNCE_SIZE                 (64 * KiB)

/* The emulated Ultravisor's RTAS bounce pages, as query-pef reports them */
static uint64_t bounce_base(QTestState *qts)
{
    g_autoptr(QDict) info = qspapr_query_pef(qts);
    QDict *reserved = qdict_get_qdict(info, "reserved");

    g_assert_cmpint(qdict_get_int(reserved, "size"), ==, BOUNCE_SIZE);
    return qdict_get_int(reserved, "start");
}

/* A struct rtas_args in guest memory: token, nargs, nret, args, rets */
static void rtas_args(QTestState *qts, uint64_t gpa, uint32_t token,
                      uint32_t nargs, uint32_t nret, const uint32_t *args)
{
    uint32_t i;

    qtest_writel(qts, gpa, token);
    qtest_writel(qts, gpa + 4, nargs);
    qtest_writel(qts, gpa + 8, nret);
    for (i = 0; i < nargs; i++) {
        qtest_writel(qts, gpa + 12 + 4 * i, args ? args[i] : 0);
    }
    for (i = 0; i < nret; i++) {
        qtest_writel(qts, gpa + 12 + 4 * (nargs + i), 0xdeadbeef);
    }
}

/*
 * H_RTAS from a secure guest: the Ultravisor bounces the argument block
 * and the buffer through its own pages, so RTAS works on private memory
 * without the hypervisor touching it.
 */
static void test_rtas_bounce(void)
{
    QTestState *qts = secure_guest();
    uint64_t args_gpa = 0x300 * PAGE_SIZE, buf = 0x301 * PAGE_SIZE;
    uint64_t hargs[] = { args_gpa };
    uint32_t sysparm[] = { RTAS_SYSPARM_SPLPAR_CHARACTERISTICS, buf, 1024 };
    char text[64] = { 0 };

    rtas_args(qts, args_gpa, RTAS_GET_TIME_OF_DAY, 0, 8, NULL);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    g_assert_cmpuint(qtest_readl(qts, args_gpa + 12), ==, 0);     /* status */
    g_assert_cmpuint(qtest_readl(qts, args_gpa + 16), >=, 2026);  /* year */

    qtest_memset(qts, buf, 0, 1024);
    rtas_args(qts, args_gpa, RTAS_IBM_GET_SYSTEM_PARAMETER, 3, 1, sysparm);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    g_assert_cmpuint(qtest_readl(qts, args_gpa + 24), ==, 0);
    qtest_memread(qts, buf + 2, text, sizeof(text) - 1);
    g_assert(g_str_has_prefix(text, "MaxEntCap="));
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 0);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-writes"), ==, 0);

    /* Too large to bounce: the hypervisor's write is refused */
    sysparm[2] = 8192;
    qtest_memset(qts, buf, 0, 64);
    rtas_args(qts, args_gpa, RTAS_IBM_GET_SYSTEM_PARAMETER, 3, 1, sysparm);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    g_assert_cmphex(qtest_readq(qts, buf), ==, 0);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-writes"), >, 0);

    /* A bad argument block: H_PARAMETER */
    rtas_args(qts, args_gpa, RTAS_GET_TIME_OF_DAY, 20, 1, NULL);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_PARAMETER);
    hargs[0] = RAM_SIZE + PAGE_SIZE;
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_PARAMETER);
    qtest_quit(qts);
}

/* The bounce page is all zeroes: nothing of a call stays behind */
static void assert_bounce_clear(QTestState *qts)
{
    g_autofree uint8_t *page = g_malloc(BOUNCE_SIZE);
    g_autofree uint8_t *zero = g_malloc0(BOUNCE_SIZE);

    qtest_memread(qts, bounce_base(qts), page, BOUNCE_SIZE);
    g_assert_cmpmem(page, BOUNCE_SIZE, zero, BOUNCE_SIZE);
}

/*
 * The bounce page is the hypervisor's to read.  Only what a call passes
 * may go there, and nothing may stay after the call: not the bytes after
 * a short ibm,set-system-parameter buffer or after the ibm,os-term
 * string, nor the argument block.
 */
static void test_rtas_bounce_exact(void)
{
    /* ibm,os-term reports a guest panic: carry on after it */
    QTestState *qts = secure_guest_with("-action panic=none");
    uint64_t args_gpa = 0x300 * PAGE_SIZE, buf = 0x301 * PAGE_SIZE;
    uint64_t hargs[] = { args_gpa };
    uint32_t sysparm[] = { RTAS_SYSPARM_SPLPAR_CHARACTERISTICS, buf };
    uint32_t term[] = { buf };
    static const char secret[] = "PRIVATE-BYTES-NOT-PASSED";
    uint32_t i;

    /* A 4-byte parameter, then private bytes the call does not pass */
    for (i = 0; i < 4 * KiB; i += sizeof(secret)) {
        qtest_memwrite(qts, buf + i, secret, sizeof(secret));
    }
    qtest_writew(qts, buf, 4);
    rtas_args(qts, args_gpa, RTAS_IBM_SET_SYSTEM_PARAMETER, 2, 1, sysparm);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    /* RTAS_OUT_NOT_AUTHORIZED: a parameter the guest may not set */
    g_assert_cmpint((int32_t)qtest_readl(qts, args_gpa + 20), ==, -9002);
    assert_bounce_clear(qts);

    /* A parameter longer than the bounce buffer is not bounced at all */
    qtest_writew(qts, buf, 8 * KiB);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    assert_bounce_clear(qts);

    /* os-term: the string and its NUL, nothing after it */
    qtest_memwrite(qts, buf, "bye", 4);
    rtas_args(qts, args_gpa, RTAS_IBM_OS_TERM, 1, 1, term);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    assert_bounce_clear(qts);

    /* A string without a NUL in the bounce buffer's size: not bounced */
    qtest_memset(qts, buf, 'x', 8 * KiB);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    assert_bounce_clear(qts);
    qtest_quit(qts);
}

/*
 * nvram-fetch and nvram-store of zero bytes: QEMU crashed on them
 * (address_space_unmap() of the NULL a zero-length map returns), with or
 * without a secure guest; the Ultravisor passes the length on as it is.
 */
static void check_nvram_zero_length(QTestState *qts)
{
    uint64_t args_gpa = 0x300 * PAGE_SIZE, buf = 0x301 * PAGE_SIZE;
    uint64_t hargs[] = { args_gpa };
    uint32_t nvargs[] = { 0, buf, 0 };
    uint32_t tokens[] = { RTAS_NVRAM_FETCH, RTAS_NVRAM_STORE };
    int i;

    for (i = 0; i < ARRAY_SIZE(tokens); i++) {
        rtas_args(qts, args_gpa, tokens[i], 3, 2, nvargs);
        g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs,
                                          NULL), ==, H_SUCCESS);
        g_assert_cmpuint(qtest_readl(qts, args_gpa + 24), ==, 0);
        g_assert_cmpuint(qtest_readl(qts, args_gpa + 28), ==, 0);
    }
}

static void test_nvram_zero_length(void)
{
    QTestState *qts = qtest_init(pef_args);

    check_nvram_zero_length(qts);
    qtest_quit(qts);

    qts = secure_guest();
    check_nvram_zero_length(qts);
    qtest_quit(qts);
}

/* A machine reset leaves secure mode and opens all of RAM again */
static void test_reset(void)
{
    QTestState *qts = secure_guest();
    uint64_t args[] = { 8, 0x100 * PAGE_SIZE };
    uint64_t rets[9];

    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmpint(qspapr_pef_stat(qts, "secure"), ==, 0);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 0);
    qtest_writeq(qts, args[1], 77);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 77);
    /* and the CPU left secure state: sharing is refused */
    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, 1, 1), ==, U_PERMISSION);
    qtest_quit(qts);
}

/*
 * RAM made of memory backends, as libvirt gives it for any <numa>
 * domain: the machine's RAM region is then a container.  Sharing and
 * unsharing pages in both nodes, and at the boundary between them, used
 * to abort QEMU (memory_region_get_ram_ptr() on the container).
 */
static void test_numa_backends(void)
{
    QTestState *qts = qtest_init(
        "-machine pseries,confidential-guest-support=pef0 "
        "-object pef-guest,id=pef0 -m 512M "
        "-object memory-backend-ram,id=m0,size=256M "
        "-object memory-backend-ram,id=m1,size=256M "
        "-numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1");
    uint64_t node1 = 256 * MiB / PAGE_SIZE;
    uint64_t pages[] = { 0x100, node1 - 1, node1, node1 + 0x100 };
    uint64_t args[2] = { 8 };
    uint64_t rets[9];
    int i;

    qspapr_enter_secure(qts, FDT_ADDR);
    for (i = 0; i < ARRAY_SIZE(pages); i++) {
        uint64_t gpa = pages[i] * PAGE_SIZE;

        qtest_writeq(qts, gpa, 0x5ec7e75ec7e75ec7ULL);
        g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, pages[i], 1), ==,
                        U_SUCCESS);
        /* zeroed for the hypervisor, then readable by it */
        g_assert_cmphex(qtest_readq(qts, gpa), ==, 0);
        qtest_writeq(qts, gpa, 0x1000 + i);
        args[1] = gpa;
        g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args,
                                          rets), ==, H_SUCCESS);
        g_assert_cmphex(rets[0], ==, 0x1000 + i);
    }
    /* Across the two backends at once */
    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_PAGE, node1 - 1, 2), ==,
                    U_SUCCESS);
    g_assert_cmphex(qtest_readq(qts, (node1 - 1) * PAGE_SIZE), ==, 0);
    g_assert_cmphex(qtest_readq(qts, node1 * PAGE_SIZE), ==, 0);
    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_ALL_PAGES, 0, 0), ==,
                    U_SUCCESS);
    g_assert_cmpint(qspapr_pef_stat(qts, "shared-pages"), ==, 0);
    g_assert_cmphex(qtest_readq(qts, (node1 + 0x100) * PAGE_SIZE), ==, 0);
    qtest_quit(qts);
}

/*
 * A reset ends the secure guest: its private pages are wiped before the
 * hypervisor side may read RAM again, and what reset loads (the
 * firmware) is there afterwards.
 */
static void test_reset_scrubs_private(void)
{
    QTestState *qts = qtest_init(pef_args);
    uint64_t secret = 0x5ec7e75ec7e75ec7ULL;
    uint64_t priv = 0x100 * PAGE_SIZE, shared = 0x180 * PAGE_SIZE;
    uint64_t args[] = { 8, priv };
    uint8_t fw_before[256], fw_after[256];
    uint64_t rets[9];

    /* SLOF, loaded at 0x100 by every reset */
    qtest_memread(qts, 0x100, fw_before, sizeof(fw_before));
    g_assert_cmpuint(ldq_be_p(fw_before), !=, 0);

    qspapr_enter_secure(qts, FDT_ADDR);
    g_assert_cmphex(qspapr_uv_share(qts, shared, PAGE_SIZE), ==, U_SUCCESS);
    qtest_writeq(qts, priv, secret);
    qtest_writeq(qts, shared, 0x5a5a);
    qtest_writeq(qts, 0x100, secret);       /* the guest overwrote SLOF */

    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmpint(qspapr_pef_stat(qts, "secure"), ==, 0);

    /* Neither the hypervisor side nor anything else sees the secret */
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0);
    g_assert_cmphex(qtest_readq(qts, priv), ==, 0);
    /* shared pages were the hypervisor's already: left as they are */
    g_assert_cmphex(qtest_readq(qts, shared), ==, 0x5a5a);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 0);

    /* and the firmware was loaded again after the wipe */
    qtest_memread(qts, 0x100, fw_after, sizeof(fw_after));
    g_assert_cmpmem(fw_before, sizeof(fw_before), fw_after, sizeof(fw_after));
    qtest_quit(qts);
}

/*
 * With 4 KiB pages a guest can share hundreds of thousands of separate
 * ranges; query-pef lists the first 1024 and says it left the rest out.
 */
static void test_query_pef_many_ranges(void)
{
    QTestState *qts = qtest_init(
        "-machine pseries,confidential-guest-support=pef0 "
        "-object pef-guest,id=pef0,page-size=4K -m 512M");
    QDict *info;
    QList *shared;
    uint64_t i, n = 1100;

    qspapr_enter_secure(qts, FDT_ADDR);
    for (i = 0; i < n; i++) {
        g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, 0x1000 + 2 * i, 1),
                        ==, U_SUCCESS);
    }
    info = qspapr_query_pef(qts);
    shared = qdict_get_qlist(info, "shared");
    g_assert_cmpint(qdict_get_int(info, "shared-pages"), ==, n);
    g_assert_cmpint(qlist_size(shared), ==, 1024);
    g_assert_true(qdict_get_bool(info, "shared-truncated"));
    qobject_unref(info);

    /* One range again: nothing left out */
    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, 0x1000, 2 * n), ==,
                    U_SUCCESS);
    info = qspapr_query_pef(qts);
    g_assert_cmpint(qlist_size(qdict_get_qlist(info, "shared")), ==, 1);
    g_assert_false(qdict_get_bool(info, "shared-truncated"));
    qobject_unref(info);
    qtest_quit(qts);
}

/* Migration carries the secure state and the shared set */
static void test_migration(void)
{
    g_autofree char *tmpdir = g_dir_make_tmp("spapr-uv-XXXXXX", NULL);
    g_autofree char *uri = g_strdup_printf("unix:%s/mig", tmpdir);
    g_autofree char *dst_args = g_strdup_printf("%s -incoming %s",
                                                pef_args, uri);
    QTestState *src = secure_guest();
    QTestState *dst;
    uint64_t args[] = { 8, 0x200 * PAGE_SIZE + 16 };
    uint64_t rets[9];

    g_assert_cmphex(qspapr_ucall(src, UV_SHARE_PAGE, 0x200, 3), ==,
                    U_SUCCESS);
    qtest_writeq(src, args[1], 0xfeedULL);
    dst = qtest_init(dst_args);
    qtest_qmp_assert_success(src, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    qtest_qmp_eventwait(dst, "RESUME");
    qtest_quit(src);

    g_assert_cmpint(qspapr_pef_stat(dst, "secure"), ==, 1);
    g_assert_cmpint(qspapr_pef_stat(dst, "shared-pages"), ==, 3);
    g_assert_cmphex(qtest_spapr_hcall(dst, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0xfeedULL);
    args[1] = 0x203 * PAGE_SIZE;
    g_assert_cmphex(qtest_spapr_hcall(dst, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0);
    qtest_quit(dst);
    unlink(uri + strlen("unix:"));
    rmdir(tmpdir);
}

/*
 * A migration stream is the hypervisor's, but one that has pages shared
 * while the guest is not secure cannot come from this Ultravisor: the
 * destination refuses it rather than start a guest in a state that makes
 * no sense.  The stream is a secure guest's with its "secure" flag
 * cleared.
 */
static void test_migration_inconsistent(void)
{
    g_autofree char *tmpdir = g_dir_make_tmp("spapr-uv-XXXXXX", NULL);
    g_autofree char *path = g_strdup_printf("%s/stream", tmpdir);
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    static const char idstr[] = "spapr-ultravisor";
    QTestState *src = secure_guest();
    QTestState *dst;
    g_autofree gchar *stream = NULL;
    gsize len;
    char *sec;
    QDict *rsp;
    const char *status;

    g_assert_cmphex(qspapr_ucall(src, UV_SHARE_PAGE, 0x200, 3), ==,
                    U_SUCCESS);
    qtest_qmp_assert_success(src, "{ 'execute': 'stop' }");
    qtest_qmp_assert_success(src, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    do {
        g_usleep(20000);
        rsp = qtest_qmp(src, "{ 'execute': 'query-migrate' }");
        status = qdict_get_try_str(qdict_get_qdict(rsp, "return"), "status");
        g_assert_cmpstr(status, !=, "failed");
        len = g_str_equal(status, "completed");
        qobject_unref(rsp);
    } while (!len);
    qtest_quit(src);

    /* section: idstr, instance id, version id, then "secure" */
    g_assert_true(g_file_get_contents(path, &stream, &len, NULL));
    sec = memmem(stream, len, idstr, strlen(idstr));
    g_assert_nonnull(sec);
    sec += strlen(idstr) + 8;
    g_assert_cmpint(*sec, ==, 1);
    *sec = 0;
    g_assert_true(g_file_set_contents(path, stream, len, NULL));

    dst = qtest_initf("%s -incoming defer", pef_args);
    qtest_qmp_assert_success(dst, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s, "
                             "'exit-on-error': false } }", uri);
    do {
        g_usleep(20000);
        rsp = qtest_qmp(dst, "{ 'execute': 'query-migrate' }");
        status = qdict_get_try_str(qdict_get_qdict(rsp, "return"), "status");
        len = status && (g_str_equal(status, "failed") ||
                         g_str_equal(status, "completed"));
        if (len) {
            g_assert_cmpstr(status, ==, "failed");
        }
        qobject_unref(rsp);
    } while (!len);
    g_assert_cmpint(qspapr_pef_stat(dst, "shared-pages"), ==, 0);
    qtest_quit(dst);
    unlink(path);
    rmdir(tmpdir);
}

/* savevm/loadvm brings back the secure state and the shared set */
static void test_savevm_loadvm(void)
{
    g_autofree char *img = g_strdup_printf("%s/spapr-uv-XXXXXX.qcow2",
                                           g_get_tmp_dir());
    g_autofree char *cmdline = NULL;
    QTestState *qts;
    char *out;
    int fd;

    fd = g_mkstemp(img);
    g_assert(fd >= 0);
    close(fd);
    mkqcow2(img, 1);
    cmdline = g_strdup_printf("%s -drive if=none,id=d0,file=%s,format=qcow2",
                              pef_args, img);
    qts = qtest_init(cmdline);
    qspapr_enter_secure(qts, FDT_ADDR);
    g_assert_cmphex(qspapr_ucall(qts, UV_SHARE_PAGE, 0x200, 2), ==, U_SUCCESS);

    out = qtest_hmp(qts, "savevm uv");
    g_assert_cmpstr(out, ==, "");
    g_free(out);
    g_assert_cmphex(qspapr_ucall(qts, UV_UNSHARE_ALL_PAGES, 0, 0), ==,
                    U_SUCCESS);
    g_assert_cmpint(qspapr_pef_stat(qts, "shared-pages"), ==, 0);

    out = qtest_hmp(qts, "loadvm uv");
    g_assert_cmpstr(out, ==, "");
    g_free(out);
    g_assert_cmpint(qspapr_pef_stat(qts, "secure"), ==, 1);
    g_assert_cmpint(qspapr_pef_stat(qts, "shared-pages"), ==, 2);
    qtest_quit(qts);
    unlink(img);
}

/* Whether the string @str is somewhere in the binary @blob */
static bool blob_has(const gchar *blob, gsize len, const char *str)
{
    return memmem(blob, len, str, strlen(str)) != NULL;
}

/*
 * The Ultravisor keeps its RTAS pages in guest RAM below 4 GiB, for any
 * RAM size, and says so in the device tree's /reserved-memory; the gate
 * works above 4 GiB as below.
 */
static void check_ram_size(const char *mem, uint64_t ram_size)
{
    QTestState *qts = qtest_initf("-machine pseries,confidential-guest-"
                                  "support=pef0 -object pef-guest,id=pef0 "
                                  "-m %s", mem);
    g_autofree char *dtb = g_strdup_printf("%s/spapr-uv-dtb-XXXXXX",
                                           g_get_tmp_dir());
    g_autofree char *node = NULL;
    g_autofree gchar *blob = NULL;
    g_autofree char *out = NULL;
    uint64_t top = ram_size - PAGE_SIZE, base, rets[9];
    uint64_t args[] = { 8, top };
    gsize len;
    int fd = g_mkstemp(dtb);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    base = bounce_base(qts);
    /* Above prom_init's allocations, below the device tree's last MiB */
    g_assert_cmphex(base, >=, 768 * MiB);
    g_assert_cmphex(base + BOUNCE_SIZE, <=, MIN(ram_size, 4 * GiB) - MiB);
    g_assert_cmphex(base % BOUNCE_SIZE, ==, 0);
    out = qtest_hmp(qts, "dumpdtb %s", dtb);
    g_assert_true(g_file_get_contents(dtb, &blob, &len, NULL));
    unlink(dtb);
    node = g_strdup_printf("ibm,uv-rtas-bounce@%" PRIx64, base);
    g_assert_true(blob_has(blob, len, "reserved-memory"));
    g_assert_true(blob_has(blob, len, node));

    /* The last page of RAM: private after UV_ESM, then shared */
    qtest_writeq(qts, top, 0x5ec7e75ec7e75ec7ULL);
    qspapr_enter_secure(qts, FDT_ADDR);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 1);
    g_assert_cmphex(qspapr_uv_share(qts, top, PAGE_SIZE), ==, U_SUCCESS);
    qtest_writeq(qts, top, 0x5ec7e75ec7e75ec7ULL);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0x5ec7e75ec7e75ec7ULL);
    /* One bit per 64 KiB page */
    g_assert_cmpint(qspapr_pef_stat(qts, "bitmap-size"), ==,
                    ram_size / PAGE_SIZE / 8);
    qtest_quit(qts);
}

/*
 * The Ultravisor's pages are 64 KiB whatever the page size: with 16 MiB
 * pages, the rest of the page they are in stays private.  UV_ESM, which
 * clears them, refuses a kernel or device tree there.
 */
static void test_bounce_large_pages(void)
{
    QTestState *qts = qtest_init("-machine pseries,confidential-guest-"
                                 "support=pef0 -object pef-guest,id=pef0,"
                                 "page-size=16M -m 512M");
    uint64_t base = bounce_base(qts), rets[9];
    uint64_t next = base + BOUNCE_SIZE, args[] = { 8, next };

    g_assert_cmphex(base % BOUNCE_SIZE, ==, 0);
    g_assert_cmphex(next % (16 * MiB), !=, 0);
    qtest_writel(qts, base, QSPAPR_FDT_MAGIC);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, base, base), ==, U_P2);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, KBASE, base), ==, U_P3);
    g_assert_cmphex(qspapr_ucall(qts, UV_ESM, KBASE, base - 2), ==, U_P3);
    g_assert_cmpint(qspapr_pef_stat(qts, "secure"), ==, 0);

    qtest_writeq(qts, next, 0x5ec7e75ec7e75ec7ULL);
    qspapr_enter_secure(qts, FDT_ADDR);
    /* Cleared at UV_ESM, then the hypervisor's */
    g_assert_cmphex(qtest_readl(qts, base), ==, 0);
    args[1] = base;
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 0);
    /* The next 64 KiB, in the same 16 MiB page, is private */
    args[1] = next;
    g_assert_cmphex(qtest_spapr_hcall(qts, H_LOGICAL_CI_LOAD, 2, args, rets),
                    ==, H_SUCCESS);
    g_assert_cmphex(rets[0], ==, 0);
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 1);
    qtest_quit(qts);
}

static void test_ram_1g(void)
{
    check_ram_size("1G", 1 * GiB);
}

static void test_ram_6g(void)
{
    check_ram_size("6G", 6 * GiB);
}

static void test_ram_16g(void)
{
    check_ram_size("16G", 16 * GiB);
}

/*
 * dump-guest-memory of a secure guest: a private page full of random
 * bytes (incompressible, so kdump stores it as it is) must not be in the
 * dump unless pef-guest,debug=on; a shared page always is; the dump's
 * notes say which.
 */
#define DUMP_PRIVATE_GPA    (0x100 * PAGE_SIZE)
#define DUMP_REG_SECRET     0x5ec7e75ec7e7ea11ULL
#define DUMP_SHARED_GPA     (0x180 * PAGE_SIZE)

static void fill_random(uint8_t *buf, size_t len, guint32 seed)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
    size_t i;

    for (i = 0; i < len; i += 4) {
        stl_le_p(buf + i, g_rand_int(rand));
    }
}

/* Whether @val is in @blob, in either byte order */
static bool blob_has_u64(const gchar *blob, gsize len, uint64_t val)
{
    uint64_t le = cpu_to_le64(val), be = cpu_to_be64(val);

    return memmem(blob, len, &le, 8) || memmem(blob, len, &be, 8);
}

/* Whether @page has a copy (any 256-byte piece of it) in @blob */
static bool blob_has_page(const gchar *blob, gsize len, const uint8_t *page)
{
    size_t off;

    for (off = 0; off < PAGE_SIZE; off += 4 * KiB) {
        if (memmem(blob, len, page + off, 256)) {
            return true;
        }
    }
    return false;
}

/*
 * Dump @qts to a file: with QMP in @format, from @begin for @length bytes
 * if @length, or with HMP's dump-guest-memory if @format is NULL
 */
static gchar *dump_to_file(QTestState *qts, const char *format,
                           uint64_t begin, uint64_t length, gsize *len)
{
    g_autofree char *path = g_strdup_printf("%s/spapr-uv-dump-XXXXXX",
                                            g_get_tmp_dir());
    gchar *blob = NULL;
    int fd = g_mkstemp(path);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    if (!format) {
        g_autofree char *out = qtest_hmp(qts, "dump-guest-memory %s", path);

        g_assert_cmpstr(out, ==, "");
    } else {
        QDict *args = qdict_new(), *rsp;
        g_autofree char *protocol = g_strdup_printf("file:%s", path);

        qdict_put_bool(args, "paging", false);
        qdict_put_str(args, "protocol", protocol);
        qdict_put_str(args, "format", format);
        if (length) {
            qdict_put_int(args, "begin", begin);
            qdict_put_int(args, "length", length);
        }
        rsp = qtest_qmp(qts, "{ 'execute': 'dump-guest-memory', "
                        "'arguments': %p }", args);
        g_assert(qdict_haskey(rsp, "return"));
        qobject_unref(rsp);
    }
    g_assert_true(g_file_get_contents(path, &blob, len, NULL));
    unlink(path);
    return blob;
}

static void check_dump(QTestState *qts, const char *format, uint64_t begin,
                       uint64_t length, bool debug, const uint8_t *private,
                       const uint8_t *shared)
{
    gsize len;
    g_autofree gchar *blob = dump_to_file(qts, format, begin, length, &len);

    g_test_message("%s dump, debug=%s: %zu bytes", format ?: "HMP",
                   debug ? "on" : "off", (size_t)len);
    if (!length || begin + length > DUMP_SHARED_GPA) {
        g_assert_true(blob_has_page(blob, len, shared));
    }
    g_assert_true(blob_has_page(blob, len, private) == debug);
    g_assert_true(blob_has(blob, len, "QEMU-CGS"));
    g_assert_true(blob_has(blob, len, debug ? "secure guest, debug=on" :
                           "secure guest, debug=off: private memory is "
                           "written as zeros and the vCPUs' registers are "
                           "left out"));
    /* The registers, which hold the secret too (check_dump_secure_guest) */
    g_assert_true(blob_has_u64(blob, len, DUMP_REG_SECRET) == debug);
}

static void check_dump_secure_guest(bool debug)
{
    QTestState *qts = secure_guest_pef(debug ? ",debug=on" : "", "");
    g_autofree uint8_t *private = g_malloc(PAGE_SIZE);
    g_autofree uint8_t *shared = g_malloc(PAGE_SIZE);
    static const char *formats[] = { "elf", "kdump-zlib", "kdump-raw-zlib" };
    int i;

    fill_random(private, PAGE_SIZE, 1);
    fill_random(shared, PAGE_SIZE, 2);
    /* UV_SHARE_PAGE clears the page: share it first */
    g_assert_cmphex(qspapr_uv_share(qts, DUMP_SHARED_GPA, PAGE_SIZE), ==,
                    U_SUCCESS);
    qtest_memwrite(qts, DUMP_PRIVATE_GPA, private, PAGE_SIZE);
    qtest_memwrite(qts, DUMP_SHARED_GPA, shared, PAGE_SIZE);
    /* A secret in the first vCPU's r4 and r5: an unknown ultracall */
    g_assert_cmphex(qspapr_ucall(qts, 0xF1FC, DUMP_REG_SECRET,
                                 DUMP_REG_SECRET), ==, U_FUNCTION);
    for (i = 0; i < ARRAY_SIZE(formats); i++) {
        check_dump(qts, formats[i], 0, 0, debug, private, shared);
    }
    /* HMP; and ELF with a range that starts and ends in mid-page */
    check_dump(qts, NULL, 0, 0, debug, private, shared);
    check_dump(qts, "elf", DUMP_PRIVATE_GPA - 100, PAGE_SIZE + 200, debug,
               private, shared);
    /* Dumping is not a violation */
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 0);
    qtest_quit(qts);
}

static void test_dump(void)
{
    check_dump_secure_guest(false);
}

static void test_dump_debug(void)
{
    check_dump_secure_guest(true);
}

/*
 * The monitor's debug readers: xp (physical), x (the vCPU's view),
 * pmemsave and memsave see a private page only with debug=on, a shared
 * page always; none of them is a violation.
 */
static bool file_has(const char *path, uint64_t val)
{
    g_autofree gchar *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    unlink(path);
    return memmem(data, len, &val, sizeof(val)) != NULL;
}

static void check_debug_readers(bool debug)
{
    QTestState *qts = secure_guest_pef(debug ? ",debug=on" : "", "");
    uint64_t secret = 0x5ec7e75ec7e75ec7ULL, open = 0x09e709e709e709e7ULL;
    g_autofree char *path = g_strdup_printf("%s/spapr-uv-mem-XXXXXX",
                                            g_get_tmp_dir());
    g_autofree char *out = NULL;
    const char *cmd[] = { "xp", "x" };
    const char *save[] = { "pmemsave", "memsave" };
    int i, fd = g_mkstemp(path);
    QDict *rsp;

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_cmphex(qspapr_uv_share(qts, DUMP_SHARED_GPA, PAGE_SIZE), ==,
                    U_SUCCESS);
    qtest_writeq(qts, DUMP_PRIVATE_GPA, secret);
    qtest_writeq(qts, DUMP_SHARED_GPA, open);

    for (i = 0; i < ARRAY_SIZE(cmd); i++) {
        g_autofree char *priv = qtest_hmp(qts, "%s /1gx 0x%" PRIx64, cmd[i],
                                          (uint64_t)DUMP_PRIVATE_GPA);
        g_autofree char *shr = qtest_hmp(qts, "%s /1gx 0x%" PRIx64, cmd[i],
                                         (uint64_t)DUMP_SHARED_GPA);

        g_test_message("%s: %s", cmd[i], priv);
        g_assert_nonnull(strstr(shr, "0x09e709e709e709e7"));
        g_assert_true(!!strstr(priv, "0x5ec7e75ec7e75ec7") == debug);
        g_assert_true(!!strstr(priv, "Cannot access memory") == !debug);
    }
    for (i = 0; i < ARRAY_SIZE(save); i++) {
        g_free(out);
        out = qtest_hmp(qts, "%s 0x%" PRIx64 " 0x%x \"%s\"", save[i],
                        (uint64_t)DUMP_PRIVATE_GPA, (unsigned)(256 * KiB),
                        path);
        g_test_message("%s: '%s'", save[i], out);
        g_assert_true(file_has(path, cpu_to_be64(secret)) == debug);
        g_free(out);
        out = qtest_hmp(qts, "%s 0x%" PRIx64 " 0x%x \"%s\"", save[i],
                        (uint64_t)DUMP_SHARED_GPA,
                        (unsigned)PAGE_SIZE, path);
        g_assert_true(file_has(path, cpu_to_be64(open)));
    }
    g_assert_cmpint(qspapr_pef_stat(qts, "denied-reads"), ==, 0);
    g_assert_cmpint(qspapr_pef_stat(qts, "debug"), ==, debug);

    rsp = qtest_qmp(qts, "{ 'execute': 'qom-set', 'arguments': { 'path': "
                    "'/objects/pef0', 'property': 'debug', 'value': %i } }",
                    !debug);
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"),
                            "cannot change once the machine uses it"));
    qobject_unref(rsp);
    qtest_quit(qts);
}

static void test_debug_readers(void)
{
    check_debug_readers(false);
}

static void test_debug_readers_debug_on(void)
{
    check_debug_readers(true);
}

/*
 * ibm,configure-connector takes its work area as two words, high and
 * low.  A work area above 4 GiB cannot be bounced (RTAS gets 32-bit
 * addresses for the bounce page): the Ultravisor must not copy the 4 KiB
 * at the low word's address, which the guest did not pass, to the page
 * the hypervisor reads.  The trace says how much was bounced.
 */
static void test_rtas_bounce_64bit(void)
{
    g_autofree char *log_path = NULL;
    g_autofree char *args = NULL;
    g_autofree char *log = NULL;
    uint64_t args_gpa = 0x300 * PAGE_SIZE, wa = 0x301 * PAGE_SIZE;
    uint64_t hargs[] = { args_gpa };
    uint32_t cc[] = { wa, 0 };
    QTestState *qts;
    int fd;

    fd = g_file_open_tmp("spapr-uv-trace-XXXXXX", &log_path, NULL);
    g_assert(fd >= 0);
    close(fd);
    args = g_strdup_printf("-d trace:spapr_uv_rtas -D %s", log_path);
    qts = secure_guest_with(args);

    qtest_memset(qts, wa, 0x5a, 4 * KiB);
    rtas_args(qts, args_gpa, RTAS_IBM_CONFIGURE_CONNECTOR, 2, 1, cc);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    cc[1] = 1;
    rtas_args(qts, args_gpa, RTAS_IBM_CONFIGURE_CONNECTOR, 2, 1, cc);
    g_assert_cmphex(qtest_spapr_hcall(qts, H_RTAS, 1, hargs, NULL),
                    ==, H_SUCCESS);
    assert_bounce_clear(qts);
    qtest_quit(qts);

    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    /* The low work area is bounced; the one above 4 GiB is not */
    g_assert_nonnull(strstr(log, "token 0x201e nargs 2 nret 1 bounced "
                            "buffer 4096 bytes"));
    g_assert_nonnull(strstr(log, "token 0x201e nargs 2 nret 1 bounced "
                            "buffer 0 bytes"));
    unlink(log_path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("spapr-uv/no-ultravisor", test_no_ultravisor);
    qtest_add_func("spapr-uv/before-esm", test_before_esm);
    qtest_add_func("spapr-uv/esm-errors", test_esm_errors);
    qtest_add_func("spapr-uv/esm", test_esm);
    qtest_add_func("spapr-uv/share-errors", test_share_errors);
    qtest_add_func("spapr-uv/share-unshare", test_share_unshare);
    qtest_add_func("spapr-uv/h-random", test_h_random);
    qtest_add_func("spapr-uv/rtas-bounce", test_rtas_bounce);
    qtest_add_func("spapr-uv/stop-on-violation", test_stop_on_violation);
    qtest_add_func("spapr-uv/x-gate-off", test_x_gate_off);
    qtest_add_func("spapr-uv/rtas-bounce-exact", test_rtas_bounce_exact);
    qtest_add_func("spapr-uv/rtas-bounce-64bit", test_rtas_bounce_64bit);
    qtest_add_func("spapr-uv/nvram-zero-length", test_nvram_zero_length);
    qtest_add_func("spapr-uv/reset", test_reset);
    qtest_add_func("spapr-uv/reset-scrubs-private",
                   test_reset_scrubs_private);
    qtest_add_func("spapr-uv/numa-backends", test_numa_backends);
    qtest_add_func("spapr-uv/query-pef-many-ranges",
                   test_query_pef_many_ranges);
    qtest_add_func("spapr-uv/migration", test_migration);
    qtest_add_func("spapr-uv/migration-inconsistent",
                   test_migration_inconsistent);
    qtest_add_func("spapr-uv/bounce-large-pages", test_bounce_large_pages);
    qtest_add_func("spapr-uv/ram-1g", test_ram_1g);
    qtest_add_func("spapr-uv/ram-6g", test_ram_6g);
    qtest_add_func("spapr-uv/ram-16g", test_ram_16g);
    qtest_add_func("spapr-uv/dump", test_dump);
    qtest_add_func("spapr-uv/dump-debug", test_dump_debug);
    qtest_add_func("spapr-uv/debug-readers", test_debug_readers);
    qtest_add_func("spapr-uv/debug-readers-debug-on",
                   test_debug_readers_debug_on);
    if (getenv("QTEST_QEMU_IMG")) {
        qtest_add_func("spapr-uv/savevm-loadvm", test_savevm_loadvm);
    }

    return g_test_run();
}
