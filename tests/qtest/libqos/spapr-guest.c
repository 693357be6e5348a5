/*
 * libqos: what a pseries guest asks of its hypervisor and Ultravisor
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qbool.h"
#include "qobject/qlist.h"
#include "spapr-guest.h"

uint64_t qspapr_ucall(QTestState *qts, uint64_t opcode, uint64_t r4,
                      uint64_t r5)
{
    uint64_t args[] = { r4, r5 };

    return qtest_spapr_ucall(qts, opcode, ARRAY_SIZE(args), args, NULL);
}

uint64_t qspapr_uv_esm(QTestState *qts, uint64_t fdt, uint64_t *rets)
{
    uint64_t args[] = { QSPAPR_KBASE, fdt };

    qtest_writel(qts, fdt, QSPAPR_FDT_MAGIC);
    return qtest_spapr_ucall(qts, UV_ESM, ARRAY_SIZE(args), args, rets);
}

void qspapr_enter_secure(QTestState *qts, uint64_t fdt)
{
    g_assert_cmphex(qspapr_uv_esm(qts, fdt, NULL), ==, fdt);
    g_assert_true(qspapr_is_secure(qts));
}

uint64_t qspapr_uv_share(QTestState *qts, uint64_t gpa, uint64_t size)
{
    return qspapr_ucall(qts, UV_SHARE_PAGE, qspapr_uv_pfn(gpa),
                        qspapr_uv_npages(gpa, size));
}

uint64_t qspapr_uv_unshare(QTestState *qts, uint64_t gpa, uint64_t size)
{
    return qspapr_ucall(qts, UV_UNSHARE_PAGE, qspapr_uv_pfn(gpa),
                        qspapr_uv_npages(gpa, size));
}

uint64_t qspapr_uv_unshare_all(QTestState *qts)
{
    return qspapr_ucall(qts, UV_UNSHARE_ALL_PAGES, 0, 0);
}

QDict *qspapr_query_pef(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-pef' }");
    QDict *info = qdict_get_qdict(rsp, "return");

    if (info) {
        qobject_ref(info);
    } else {
        g_assert(qdict_haskey(rsp, "error"));
    }
    qobject_unref(rsp);
    return info;
}

int64_t qspapr_pef_stat(QTestState *qts, const char *member)
{
    g_autoptr(QDict) info = qspapr_query_pef(qts);
    QObject *val;

    g_assert_nonnull(info);
    val = qdict_get(info, member);
    g_assert_nonnull(val);
    if (qobject_type(val) == QTYPE_QBOOL) {
        return qbool_get_bool(qobject_to(QBool, val));
    }
    return qdict_get_int(info, member);
}

bool qspapr_is_secure(QTestState *qts)
{
    g_autoptr(QDict) info = qspapr_query_pef(qts);

    return info && qdict_get_bool(info, "secure");
}

uint64_t qspapr_pef_shared_bytes(QTestState *qts, uint64_t gpa,
                                 uint64_t size)
{
    g_autoptr(QDict) info = qspapr_query_pef(qts);
    QList *ranges;
    QListEntry *e;
    uint64_t bytes = 0;

    g_assert_nonnull(info);
    ranges = qdict_get_qlist(info, "shared");
    QLIST_FOREACH_ENTRY(ranges, e) {
        QDict *r = qobject_to(QDict, qlist_entry_obj(e));
        uint64_t start = qdict_get_int(r, "start");
        uint64_t end = start + qdict_get_int(r, "size");

        start = MAX(start, gpa);
        end = MIN(end, gpa + size);
        bytes += end > start ? end - start : 0;
    }
    return bytes;
}
