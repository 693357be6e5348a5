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
#include "system/address-spaces.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_uv.h"
#include "cpu.h"
#include "trace.h"

/* The bounce page: the argument block, then one data buffer */
#define SPAPR_UV_BOUNCE_ARGS    0               /* struct rtas_args */
#define SPAPR_UV_BOUNCE_BUF     (4 * KiB)
#define SPAPR_UV_BOUNCE_BUFLEN  (4 * KiB)
#define SPAPR_UV_BOUNCE_USED    (SPAPR_UV_BOUNCE_BUF + SPAPR_UV_BOUNCE_BUFLEN)

/* struct rtas_args: token, nargs, nret, then nargs + nret words */
#define RTAS_ARGS_TOKEN         0
#define RTAS_ARGS_NARGS         4
#define RTAS_ARGS_NRET          8
#define RTAS_ARGS_HDR           12
#define RTAS_ARGS_MAX           16
#define RTAS_ARG(i)             (RTAS_ARGS_HDR + 4 * (i))

/* How much of an ibm,os-term string is read at a time */
#define RTAS_STRING_CHUNK       256

/* How much of a buffer goes in or out */
typedef enum {
    RTAS_LEN_NONE,
    RTAS_LEN_ARG,           /* the length argument */
    RTAS_LEN_WORKAREA,      /* a whole work area: the bounce buffer */
    RTAS_LEN_SYSPARM,       /* 2 + the big-endian 16-bit header */
    RTAS_LEN_STRING,        /* a NUL-terminated string */
    RTAS_LEN_RET1,          /* the second return value (nvram-fetch) */
} SpaprUvRtasLen;

/*
 * RTAS calls that carry a buffer, as open-power/ultravisor's
 * svm/svm-rtas-hdlr.c bounces them: only what the call passes goes in,
 * only what it returns comes out, and only on success.
 */
typedef struct SpaprUvRtasBuf {
    uint32_t token;
    int addr_arg;           /* args[] index of the buffer's address */
    int addr_hi_arg;        /* ... of its high 32 bits, or -1 */
    int len_arg;            /* args[] index of its length, or -1 */
    SpaprUvRtasLen in, out;
} SpaprUvRtasBuf;

static const SpaprUvRtasBuf spapr_uv_rtas_bufs[] = {
    { RTAS_CHECK_EXCEPTION, 4, -1, 5, RTAS_LEN_NONE, RTAS_LEN_ARG },
    { RTAS_EVENT_SCAN, 2, -1, 3, RTAS_LEN_NONE, RTAS_LEN_ARG },
    /* the work area is args[1]:args[0] (hw/ppc/spapr_drc.c) */
    { RTAS_IBM_CONFIGURE_CONNECTOR, 0, 1, -1,
      RTAS_LEN_WORKAREA, RTAS_LEN_WORKAREA },
    { RTAS_IBM_GET_SYSTEM_PARAMETER, 1, -1, 2,
      RTAS_LEN_NONE, RTAS_LEN_SYSPARM },
    { RTAS_IBM_SET_SYSTEM_PARAMETER, 1, -1, -1,
      RTAS_LEN_SYSPARM, RTAS_LEN_NONE },
    { RTAS_IBM_OS_TERM, 0, -1, -1, RTAS_LEN_STRING, RTAS_LEN_NONE },
    { RTAS_NVRAM_FETCH, 1, -1, 2, RTAS_LEN_NONE, RTAS_LEN_RET1 },
    { RTAS_NVRAM_STORE, 1, -1, 2, RTAS_LEN_ARG, RTAS_LEN_NONE },
};

/* One H_RTAS on its way through the bounce page */
typedef struct SpaprUvRtasCall {
    hwaddr args_gpa;        /* the guest's struct rtas_args */
    uint32_t token, nargs, nret;
    uint32_t args[RTAS_ARGS_MAX];
    const SpaprUvRtasBuf *buf;
    hwaddr buf_gpa;
    uint32_t buf_max;       /* the buffer's size, as far as the call says */
} SpaprUvRtasCall;

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

static bool spapr_uv_read(SpaprUltravisor *uv, hwaddr gpa, void *buf,
                          hwaddr len)
{
    return address_space_read(&uv->ram_as, gpa, MEMTXATTRS_UNSPECIFIED,
                              buf, len) == MEMTX_OK;
}

/*
 * How many bytes of the guest's buffer the call passes in, read from the
 * guest's private memory by the Ultravisor; -1 if it cannot be bounced.
 */
static int64_t spapr_uv_rtas_in_len(SpaprUltravisor *uv,
                                    SpaprUvRtasCall *call, uint8_t *bbuf)
{
    uint16_t hdr;
    hwaddr i, chunk;
    uint8_t *nul;

    switch (call->buf->in) {
    case RTAS_LEN_NONE:
        return 0;
    case RTAS_LEN_ARG:
        return call->buf_max;
    case RTAS_LEN_WORKAREA:
        return SPAPR_UV_BOUNCE_BUFLEN;
    case RTAS_LEN_SYSPARM:
        if (!spapr_uv_read(uv, call->buf_gpa, &hdr, sizeof(hdr))) {
            return -1;
        }
        return sizeof(hdr) + be16_to_cpu(hdr);
    case RTAS_LEN_STRING:
        /*
         * Up to the NUL, which must be within the bounce buffer.  Read in
         * aligned chunks, so that none reaches past the end of RAM when
         * the string does not.
         */
        for (i = 0; i < SPAPR_UV_BOUNCE_BUFLEN; i += chunk) {
            chunk = MIN(RTAS_STRING_CHUNK -
                        ((call->buf_gpa + i) & (RTAS_STRING_CHUNK - 1)),
                        SPAPR_UV_BOUNCE_BUFLEN - i);
            if (!spapr_uv_read(uv, call->buf_gpa + i, &bbuf[i], chunk)) {
                return -1;
            }
            nul = memchr(&bbuf[i], 0, chunk);
            if (nul) {
                /* the input is the string, not what was read after it */
                memset(nul + 1, 0, chunk - (nul + 1 - &bbuf[i]));
                return nul + 1 - bbuf;
            }
        }
        return -1;
    default:
        g_assert_not_reached();
    }
}

/*
 * Copy the call to the bounce page: the header and the input arguments
 * (not the return slots, which the hypervisor only writes), and the input
 * part of a buffer, if the call has one.  A buffer too large for the
 * bounce page stays where it is, and the gate refuses the hypervisor's
 * accesses to it.
 */
static bool spapr_uv_rtas_bounce_in(SpaprUltravisor *uv,
                                    SpaprUvRtasCall *call, uint8_t *bounce)
{
    const SpaprUvRtasBuf *buf = spapr_uv_rtas_buf(call->token);
    uint8_t *bargs = bounce + SPAPR_UV_BOUNCE_ARGS;
    uint8_t *bbuf = bounce + SPAPR_UV_BOUNCE_BUF;
    int64_t in_len;
    int i;

    if (buf && buf->addr_arg < (int)call->nargs &&
        buf->addr_hi_arg < (int)call->nargs &&
        buf->len_arg < (int)call->nargs) {
        call->buf = buf;
        call->buf_gpa = call->args[buf->addr_arg];
        call->buf_max = buf->len_arg < 0 ? SPAPR_UV_BOUNCE_BUFLEN :
                        call->args[buf->len_arg];
        /*
         * A buffer above 4 GiB is not bounced (the bounce page's address
         * is 32-bit): not the bytes at its low word's address either
         */
        in_len = call->buf_max > SPAPR_UV_BOUNCE_BUFLEN ||
                 (buf->addr_hi_arg >= 0 && call->args[buf->addr_hi_arg]) ?
                 -1 : spapr_uv_rtas_in_len(uv, call, bbuf);
        if (in_len < 0 || in_len > SPAPR_UV_BOUNCE_BUFLEN) {
            qemu_log_mask(LOG_GUEST_ERROR, "spapr-uv: H_RTAS token 0x%x: "
                          "buffer at 0x%" HWADDR_PRIx " not bounced (too "
                          "large, above 4 GiB or unreadable)\n", call->token,
                          call->buf_gpa);
            memset(bbuf, 0, SPAPR_UV_BOUNCE_BUFLEN);
            call->buf = NULL;
        } else {
            if (buf->in != RTAS_LEN_STRING && in_len &&
                !spapr_uv_read(uv, call->buf_gpa, bbuf, in_len)) {
                return false;
            }
            /* RTAS addresses are 32-bit: the bounce page is below 4 GiB */
            call->args[buf->addr_arg] = uv->bounce_base +
                                        SPAPR_UV_BOUNCE_BUF;
        }
    }

    stl_be_p(bargs + RTAS_ARGS_TOKEN, call->token);
    stl_be_p(bargs + RTAS_ARGS_NARGS, call->nargs);
    stl_be_p(bargs + RTAS_ARGS_NRET, call->nret);
    for (i = 0; i < call->nargs; i++) {
        stl_be_p(bargs + RTAS_ARG(i), call->args[i]);
    }
    return true;
}

/* How many bytes of the buffer the call returns */
static uint32_t spapr_uv_rtas_out_len(SpaprUvRtasCall *call, uint8_t *bounce)
{
    uint8_t *bargs = bounce + SPAPR_UV_BOUNCE_ARGS;
    int32_t status = ldl_be_p(bargs + RTAS_ARG(call->nargs));
    bool configure = call->token == RTAS_IBM_CONFIGURE_CONNECTOR;
    uint32_t len;

    /* Only on success; ibm,configure-connector also on "call again" */
    if (!call->nret ||
        (configure ? status < 0 && status != RTAS_OUT_BUSY : status != 0)) {
        return 0;
    }
    switch (call->buf->out) {
    case RTAS_LEN_ARG:
        return call->buf_max;
    case RTAS_LEN_WORKAREA:
        return SPAPR_UV_BOUNCE_BUFLEN;
    case RTAS_LEN_SYSPARM:
        len = 2 + lduw_be_p(bounce + SPAPR_UV_BOUNCE_BUF);
        return MIN(len, call->buf_max);
    case RTAS_LEN_RET1:
        if (call->nret < 2) {
            return 0;
        }
        len = ldl_be_p(bargs + RTAS_ARG(call->nargs + 1));
        return MIN(len, call->buf_max);
    default:
        return 0;
    }
}

/* Results back to the guest: the return slots, then the buffer */
static void spapr_uv_rtas_copy_out(SpaprUltravisor *uv,
                                   SpaprUvRtasCall *call, uint8_t *bounce)
{
    uint32_t out_len;

    address_space_write(&uv->ram_as, call->args_gpa + RTAS_ARG(call->nargs),
                        MEMTXATTRS_UNSPECIFIED,
                        bounce + SPAPR_UV_BOUNCE_ARGS + RTAS_ARG(call->nargs),
                        4 * call->nret);
    if (call->buf) {
        out_len = spapr_uv_rtas_out_len(call, bounce);
        address_space_write(&uv->ram_as, call->buf_gpa,
                            MEMTXATTRS_UNSPECIFIED,
                            bounce + SPAPR_UV_BOUNCE_BUF, out_len);
    }
}

/* The Ultravisor's pages in RAM, from or to its copy of what is used */
static void spapr_uv_bounce_rw(SpaprUltravisor *uv, uint8_t *bounce,
                               bool to_ram)
{
    address_space_rw(&uv->ram_as, uv->bounce_base, MEMTXATTRS_UNSPECIFIED,
                     bounce, SPAPR_UV_BOUNCE_USED, to_ram);
}

/*
 * Read the guest's struct rtas_args at @call->args_gpa, from its private
 * memory, into @call; false if it is unreadable, too large, or its return
 * slots cannot be written
 */
static bool spapr_uv_rtas_read_args(SpaprUltravisor *uv,
                                    SpaprUvRtasCall *call)
{
    uint8_t hdr[RTAS_ARGS_HDR];
    int i;

    if (!spapr_uv_read(uv, call->args_gpa, hdr, sizeof(hdr))) {
        qemu_log_mask(LOG_GUEST_ERROR, "spapr-uv: H_RTAS: bad argument "
                      "block address 0x%" HWADDR_PRIx "\n", call->args_gpa);
        return false;
    }
    call->token = ldl_be_p(hdr + RTAS_ARGS_TOKEN);
    call->nargs = ldl_be_p(hdr + RTAS_ARGS_NARGS);
    call->nret = ldl_be_p(hdr + RTAS_ARGS_NRET);
    if (call->nargs > RTAS_ARGS_MAX ||
        call->nret > RTAS_ARGS_MAX - call->nargs) {
        qemu_log_mask(LOG_GUEST_ERROR, "spapr-uv: H_RTAS: %u arguments and "
                      "%u results do not fit\n", call->nargs, call->nret);
        return false;
    }
    for (i = 0; i < call->nargs; i++) {
        uint32_t arg;

        if (!spapr_uv_read(uv, call->args_gpa + RTAS_ARG(i), &arg,
                           sizeof(arg))) {
            return false;
        }
        call->args[i] = be32_to_cpu(arg);
    }
    /* The return slots must be writable before the call is made */
    return !call->nret ||
           address_space_access_valid(&uv->ram_as,
                                      call->args_gpa + RTAS_ARG(call->nargs),
                                      4 * call->nret, true,
                                      MEMTXATTRS_UNSPECIFIED);
}

/* Make the call from the bounce page, as the hypervisor sees it */
static target_ulong spapr_uv_rtas_call(SpaprUltravisor *uv, PowerPCCPU *cpu,
                                       SpaprUvRtasCall *call,
                                       uint8_t *bounce)
{
    target_ulong args[9] = { uv->bounce_base };
    target_ulong ret;

    trace_spapr_uv_rtas(call->token, call->nargs, call->nret,
                        call->buf ? call->buf_max : 0);
    spapr_uv_bounce_rw(uv, bounce, true);
    ret = spapr_hypercall(cpu, KVMPPC_H_RTAS, args);
    spapr_uv_bounce_rw(uv, bounce, false);
    return ret;
}

/*
 * H_RTAS from a secure guest: copy the argument block (and a buffer) to
 * the Ultravisor's shared bounce page, make the call, copy results back,
 * and clear the page, which the hypervisor can read.  The Ultravisor
 * reads and writes the guest's private memory itself.
 */
static target_ulong spapr_uv_reflect_rtas(SpaprUltravisor *uv,
                                          PowerPCCPU *cpu, target_ulong *args)
{
    g_autofree uint8_t *bounce = g_malloc0(SPAPR_UV_BOUNCE_USED);
    SpaprUvRtasCall call = { .args_gpa = args[0] };
    target_ulong ret = H_PARAMETER;

    if (!spapr_uv_rtas_read_args(uv, &call)) {
        return H_PARAMETER;
    }
    if (spapr_uv_rtas_bounce_in(uv, &call, bounce)) {
        ret = spapr_uv_rtas_call(uv, cpu, &call, bounce);
        spapr_uv_rtas_copy_out(uv, &call, bounce);
    }
    /* Nothing of the call stays where the hypervisor can read it */
    memset(bounce, 0, SPAPR_UV_BOUNCE_USED);
    spapr_uv_bounce_rw(uv, bounce, true);
    return ret;
}

static bool spapr_uv_nested_hcall(target_ulong opcode)
{
    switch (opcode) {
    case KVMPPC_H_SET_PARTITION_TABLE:
    case KVMPPC_H_ENTER_NESTED:
    case KVMPPC_H_TLB_INVALIDATE:
    case KVMPPC_H_COPY_TOFROM_GUEST:
    case H_GUEST_GET_CAPABILITIES ... H_GUEST_DELETE:
        return true;
    default:
        return false;
    }
}

target_ulong spapr_uv_hypercall(SpaprMachineState *spapr, PowerPCCPU *cpu,
                                target_ulong opcode, target_ulong *args)
{
    SpaprUltravisor *uv = spapr->uv;

    if (!uv) {
        return spapr_hypercall(cpu, opcode, args);
    }
    if (spapr_uv_nested_hcall(opcode) && qatomic_read(&uv->secure)) {
        /*
         * No nested guests in a secure VM, from any of its vCPUs (one
         * started before UV_ESM is not in secure state): the nested-HV
         * code accesses guest memory as the vCPU does, which the gate
         * would not see.
         */
        trace_spapr_uv_hcall_refused(opcode);
        return H_FUNCTION;
    }
    if (!(cpu->env.msr & R_MSR_S_MASK)) {
        return spapr_hypercall(cpu, opcode, args);
    }
    switch (opcode) {
    case H_RANDOM:
        /* The real Ultravisor refuses it rather than trust the hypervisor */
        trace_spapr_uv_hcall_refused(opcode);
        return H_FUNCTION;
    case KVMPPC_H_RTAS:
        return spapr_uv_reflect_rtas(uv, cpu, args);
    default:
        return spapr_hypercall(cpu, opcode, args);
    }
}
