/*
 * Hypercalls from a secure guest, as the Ultravisor reflects them
 *
 * The real Ultravisor passes a secure VM's "sc 1" on to the hypervisor
 * with its registers, except that it refuses H_RANDOM and bounces H_RTAS:
 * the argument block, and the buffers of the RTAS calls that carry one,
 * are copied through pages the Ultravisor owns and shares with the
 * hypervisor (open-power/ultravisor svm/svm-rtas*.c).  The hypervisor
 * never needs the guest to share its RTAS argument block.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "exec/address-spaces.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_uv.h"
#include "cpu.h"
#include "trace.h"

#define SPAPR_UV_BOUNCE_ARGS    0               /* struct rtas_args */
#define SPAPR_UV_BOUNCE_BUF     (4 * KiB)       /* one data buffer */
#define SPAPR_UV_BOUNCE_BUFLEN  (4 * KiB)

#define RTAS_ARGS_MAX           16

typedef enum {
    BUF_IN = 1,
    BUF_OUT = 2,
} SpaprUvRtasBufDir;

/* RTAS calls that carry a buffer, as the real Ultravisor handles them */
typedef struct SpaprUvRtasBuf {
    uint32_t token;
    int addr_arg;       /* args[] index of the buffer address */
    int len_arg;        /* args[] index of its length, or -1 */
    uint32_t fixed_len; /* length if len_arg < 0 */
    unsigned dir;
} SpaprUvRtasBuf;

static const SpaprUvRtasBuf spapr_uv_rtas_bufs[] = {
    { RTAS_CHECK_EXCEPTION, 4, 5, 0, BUF_OUT },
    { RTAS_EVENT_SCAN, 2, 3, 0, BUF_OUT },
    { RTAS_IBM_CONFIGURE_CONNECTOR, 0, -1, 4 * KiB, BUF_IN | BUF_OUT },
    { RTAS_IBM_GET_SYSTEM_PARAMETER, 1, 2, 0, BUF_OUT },
    { RTAS_IBM_SET_SYSTEM_PARAMETER, 1, -1, 4 * KiB, BUF_IN },
    { RTAS_IBM_OS_TERM, 0, -1, 512, BUF_IN },
    { RTAS_NVRAM_FETCH, 1, 2, 0, BUF_OUT },
    { RTAS_NVRAM_STORE, 1, 2, 0, BUF_IN },
};

static const SpaprUvRtasBuf *spapr_uv_rtas_buf(uint32_t token)
{
    int i;

    for (i = 0; i < ARRAY_SIZE(spapr_uv_rtas_bufs); i++) {
        if (spapr_uv_rtas_bufs[i].token == token) {
            return &spapr_uv_rtas_bufs[i];
        }
    }
    return NULL;
}

/*
 * H_RTAS from a secure guest: copy the argument block (and a buffer) to
 * the Ultravisor's shared bounce page, make the call, copy results back.
 * The Ultravisor reads and writes the guest's private memory itself.
 */
static target_ulong spapr_uv_reflect_rtas(SpaprUltravisor *uv,
                                          PowerPCCPU *cpu, target_ulong *args)
{
    uint8_t *bounce = memory_region_get_ram_ptr(&uv->bounce);
    hwaddr guest_args = args[0];
    uint32_t hdr[3 + RTAS_ARGS_MAX];
    uint32_t token, nargs, nret;
    const SpaprUvRtasBuf *buf;
    hwaddr buf_gpa = 0;
    uint32_t buf_len = 0;
    target_ulong bounce_args[9] = { SPAPR_UV_BOUNCE_BASE };
    target_ulong ret;

    if (address_space_read(&uv->ram_as, guest_args, MEMTXATTRS_UNSPECIFIED,
                           hdr, 12) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "spapr-uv: H_RTAS: bad argument "
                      "block address 0x%" HWADDR_PRIx "\n", guest_args);
        return H_PARAMETER;
    }
    token = be32_to_cpu(hdr[0]);
    nargs = be32_to_cpu(hdr[1]);
    nret = be32_to_cpu(hdr[2]);
    if (nargs > RTAS_ARGS_MAX || nret > RTAS_ARGS_MAX - nargs) {
        qemu_log_mask(LOG_GUEST_ERROR, "spapr-uv: H_RTAS: %u arguments and "
                      "%u results do not fit\n", nargs, nret);
        return H_PARAMETER;
    }
    if (address_space_read(&uv->ram_as, guest_args + 12,
                           MEMTXATTRS_UNSPECIFIED, &hdr[3],
                           4 * (nargs + nret)) != MEMTX_OK) {
        return H_PARAMETER;
    }

    buf = spapr_uv_rtas_buf(token);
    if (buf && buf->addr_arg < nargs &&
        (buf->len_arg < 0 || buf->len_arg < nargs)) {
        buf_gpa = be32_to_cpu(hdr[3 + buf->addr_arg]);
        buf_len = buf->len_arg < 0 ? buf->fixed_len :
                  be32_to_cpu(hdr[3 + buf->len_arg]);
        if (buf_len > SPAPR_UV_BOUNCE_BUFLEN) {
            /* Not bounced: the gate refuses the hypervisor's access */
            buf = NULL;
        } else {
            memset(bounce + SPAPR_UV_BOUNCE_BUF, 0, SPAPR_UV_BOUNCE_BUFLEN);
            if ((buf->dir & BUF_IN) &&
                address_space_read(&uv->ram_as, buf_gpa,
                                   MEMTXATTRS_UNSPECIFIED,
                                   bounce + SPAPR_UV_BOUNCE_BUF,
                                   buf_len) != MEMTX_OK) {
                return H_PARAMETER;
            }
            /* RTAS addresses are 32-bit: the bounce page is below 4 GiB */
            hdr[3 + buf->addr_arg] =
                cpu_to_be32(SPAPR_UV_BOUNCE_BASE + SPAPR_UV_BOUNCE_BUF);
        }
    } else {
        buf = NULL;
    }
    memcpy(bounce + SPAPR_UV_BOUNCE_ARGS, hdr, 12 + 4 * (nargs + nret));
    trace_spapr_uv_rtas(token, nargs, nret, buf ? buf_len : 0);

    ret = spapr_hypercall(cpu, KVMPPC_H_RTAS, bounce_args);

    /* Results, then the buffer if the call succeeded */
    address_space_write(&uv->ram_as, guest_args + 12 + 4 * nargs,
                        MEMTXATTRS_UNSPECIFIED,
                        bounce + SPAPR_UV_BOUNCE_ARGS + 12 + 4 * nargs,
                        4 * nret);
    if (buf && (buf->dir & BUF_OUT) && nret &&
        (int32_t)ldl_be_p(bounce + SPAPR_UV_BOUNCE_ARGS + 12 + 4 * nargs)
        >= 0) {
        address_space_write(&uv->ram_as, buf_gpa, MEMTXATTRS_UNSPECIFIED,
                            bounce + SPAPR_UV_BOUNCE_BUF, buf_len);
    }
    return ret;
}

target_ulong spapr_uv_hypercall(SpaprMachineState *spapr, PowerPCCPU *cpu,
                                target_ulong opcode, target_ulong *args)
{
    SpaprUltravisor *uv = spapr->uv;

    if (!uv || !(cpu->env.msr & R_MSR_S_MASK)) {
        return spapr_hypercall(cpu, opcode, args);
    }
    switch (opcode) {
    case H_RANDOM:
        /* The real Ultravisor refuses it rather than trust the hypervisor */
        trace_spapr_uv_hcall_refused(opcode);
        return H_FUNCTION;
    case KVMPPC_H_RTAS:
        return spapr_uv_reflect_rtas(uv, cpu, args);
    case KVMPPC_H_SET_PARTITION_TABLE:
    case KVMPPC_H_ENTER_NESTED:
    case KVMPPC_H_TLB_INVALIDATE:
    case KVMPPC_H_COPY_TOFROM_GUEST:
    case H_GUEST_GET_CAPABILITIES ... H_GUEST_DELETE:
        /*
         * No nested guests in a secure guest: the nested-HV code accesses
         * guest memory as the vCPU does, which the gate would not see.
         */
        trace_spapr_uv_hcall_refused(opcode);
        return H_FUNCTION;
    default:
        return spapr_hypercall(cpu, opcode, args);
    }
}
