/*
 * Emulated Ultravisor: stubs for ppc64 builds without pseries
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "monitor/monitor.h"
#include "monitor/hmp-target.h"

#ifdef TARGET_PPC64
/* query-pef falls back to stubs/monitor-ppc-pef.c */
void hmp_info_pef(Monitor *mon, const QDict *qdict)
{
    monitor_printf(mon, "This QEMU has no pseries machine\n");
}
#endif
