/*
 * libqos: what a pseries guest asks of its hypervisor and Ultravisor
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef LIBQOS_SPAPR_GUEST_H
#define LIBQOS_SPAPR_GUEST_H

#endif
