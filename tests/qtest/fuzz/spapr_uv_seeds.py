#!/usr/bin/env python3
#
# Write the seed corpus of the spapr-uv fuzz target (spapr_uv_fuzz.c):
# one file per hostile flow, in the target's input encoding.  The files
# are kept in the repository (tests/qtest/fuzz/spapr-uv-seeds/); run this
# again after changing the encoding.
#
#   spapr_uv_seeds.py OUTPUT_DIR
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import struct
import sys

PAGE = 1 << 16
UCALL, HCALL, STORE, SECRET, VIRTIO, RING, FLUSH, RESET = range(8)
# op_ucall's table
ESM, SHARE, UNSHARE, UNSHARE_ALL = range(4)
# op_hcall's table
(H_PUT_TCE, H_PUT_TCE_INDIRECT, H_STUFF_TCE, H_GET_TCE, H_RTAS,
 H_REGISTER_VPA, H_LOGICAL_CI_LOAD, H_LOGICAL_CI_STORE) = range(8)
BLK, NET, RNG, SERIAL = range(4)
DESC_NEXT, DESC_WRITE, DESC_INDIRECT = 1, 2, 4


def ucall(op, a=0, b=0, raw=0):
    return struct.pack('<BBBII', UCALL, op, raw, a, b)


def hcall(op, *args, raw=0):
    args = list(args) + [0] * (4 - len(args))
    return struct.pack('<BBB4Q', HCALL, op, raw, *args)


def store(gpa, data):
    return struct.pack('<BIB', STORE, gpa, len(data)) + data


def secret(page):
    return struct.pack('<BH', SECRET, page)


def virtio(dev, off, val, size=2):
    return struct.pack('<BBBHI', VIRTIO, dev, size, off, val)


def ring(dev, q, ring_page, descs, direct=False, map_buffers=True):
    """descs: (addr, len, flags) for up to 4 chained descriptors"""
    flags = (1 if direct else 0) | (0 if map_buffers else 2)
    out = struct.pack('<BBBBBH', RING, dev, q, flags, len(descs) - 1,
                      ring_page)
    for i in range(4):
        addr, length, flags = descs[i] if i < len(descs) else (0, 0, 0)
        out += struct.pack('<IIHH', addr, length, flags, i + 1)
    return out


def secure(*shared_pages):
    out = ucall(ESM)
    for p in shared_pages:
        out += ucall(SHARE, p, 1)
    return out


RING_PAGE = 0x200           # shared: the rings
BUF_PAGE = 0x201            # shared: headers and status bytes
PRIV_PAGE = 0x100           # private: the secret
PRIV = PRIV_PAGE * PAGE + PRIV_PAGE * 64 % (PAGE - 64)
BUF = BUF_PAGE * PAGE


def blk_req(kind, sector=0):
    # struct virtio_blk_outhdr, little endian: type, ioprio, sector
    return struct.pack('<IIQ', kind, 0, sector)


SEEDS = {
    # the disk gets a write whose data is private
    'blk-write-private':
        secure(RING_PAGE, BUF_PAGE) + secret(PRIV_PAGE) +
        store(BUF, blk_req(1)) +
        ring(BLK, 0, RING_PAGE, [(BUF, 16, DESC_NEXT),
                                 (PRIV, 512, DESC_NEXT),
                                 (BUF + 64, 1, DESC_WRITE)]) +
        bytes([FLUSH]),
    # a disk read into a private page
    'blk-read-into-private':
        secure(RING_PAGE, BUF_PAGE) + secret(PRIV_PAGE) +
        store(BUF, blk_req(0)) +
        ring(BLK, 0, RING_PAGE, [(BUF, 16, DESC_NEXT),
                                 (PRIV - 16, 512, DESC_NEXT | DESC_WRITE),
                                 (BUF + 64, 1, DESC_WRITE)]),
    # a frame whose payload is private
    'net-tx-private':
        secure(RING_PAGE, BUF_PAGE) + secret(PRIV_PAGE) +
        ring(NET, 1, RING_PAGE, [(BUF, 12, DESC_NEXT),
                                 (PRIV, 64, 0)]),
    # console output from a private page
    'serial-tx-private':
        secure(RING_PAGE) + secret(PRIV_PAGE) +
        ring(SERIAL, 1, RING_PAGE, [(PRIV, 32, 0)]),
    # entropy into a private page
    'rng-into-private':
        secure(RING_PAGE) + secret(PRIV_PAGE) +
        ring(RNG, 0, RING_PAGE, [(PRIV, 64, DESC_WRITE)]),
    # an indirect table in private memory
    'indirect-private':
        secure(RING_PAGE) + secret(PRIV_PAGE) +
        ring(BLK, 0, RING_PAGE, [(PRIV, 32, DESC_INDIRECT)]),
    # the ring itself in private memory
    'ring-private':
        ucall(ESM) + secret(PRIV_PAGE) +
        ring(NET, 1, PRIV_PAGE, [(PRIV, 64, 0)]),
    # a TCE to a private page, then DMA through the IOMMU
    'tce-private':
        secure(RING_PAGE, BUF_PAGE) + secret(PRIV_PAGE) +
        hcall(H_PUT_TCE, 0, 0x1000, PRIV_PAGE * PAGE + 3) +
        store(BUF, blk_req(1)) +
        hcall(H_PUT_TCE, 0, BUF, BUF + 3) +
        ring(BLK, 0, RING_PAGE, [(BUF, 16, DESC_NEXT),
                                 (0x1000, 512, DESC_NEXT),
                                 (BUF + 64, 1, DESC_WRITE)],
             map_buffers=False),
    # H_RTAS with its argument block and buffer in private memory
    'rtas-private':
        secure() + secret(PRIV_PAGE) +
        store(PRIV_PAGE * PAGE + 0x1000,
              struct.pack('>IIIII', 0x2009, 2, 1, 20, PRIV)) +
        hcall(H_RTAS, PRIV_PAGE * PAGE + 0x1000),
    # a VPA and a logical store in private memory
    'vpa-logical-private':
        secure() + secret(PRIV_PAGE) +
        hcall(H_REGISTER_VPA, 1 << 45, 0, PRIV) +
        hcall(H_LOGICAL_CI_STORE, 8, PRIV, 0x4141414141414141) +
        hcall(H_LOGICAL_CI_LOAD, 8, PRIV),
    # unshare a page a request is using, then reset mid-flight
    'unshare-in-flight-reset':
        secure(RING_PAGE, BUF_PAGE) +
        store(BUF, blk_req(1)) +
        ring(BLK, 0, RING_PAGE, [(BUF, 16, DESC_NEXT),
                                 (BUF + 0x1000, 0x4000, DESC_NEXT),
                                 (BUF + 64, 1, DESC_WRITE)]) +
        ucall(UNSHARE, BUF_PAGE, 1) + secret(BUF_PAGE) +
        bytes([FLUSH, RESET]) + ucall(ESM) + secret(PRIV_PAGE),
    # a driver that declines ACCESS_PLATFORM: refused at FEATURES_OK
    'direct-declined':
        secure(RING_PAGE) + secret(PRIV_PAGE) +
        ring(BLK, 0, RING_PAGE, [(PRIV, 512, 0)], direct=True),
    # ultracalls with hostile operands
    'ucall-operands':
        ucall(SHARE, 1, 1) + ucall(ESM, 0, 0, raw=1) +
        ucall(ESM) + ucall(ESM) +
        ucall(SHARE, 0xffffffff, 0xffffffff, raw=1) +
        ucall(UNSHARE, 0xfffff, 2, raw=1) + ucall(UNSHARE_ALL) +
        ucall(SHARE, 0, 64) + ucall(UNSHARE, 0, 64),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
