/*
 * libqos: what a pseries guest asks of its hypervisor and Ultravisor
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "spapr-guest.h"
