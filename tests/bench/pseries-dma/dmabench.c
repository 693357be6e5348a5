/*
 * dmabench: the guest side of `make bench` (tests/bench/pseries-dma)
 *
 * A small static tool for the benchmark's busybox initramfs, cross-built
 * for ppc64le: virtio-blk requests with O_DIRECT (so every request is a
 * DMA of the guest's buffer, through whatever DMA ops the guest kernel
 * picked) and a TCP bulk transfer over virtio-net.  Each run prints one
 * line the host parses:
 *
 *   DMABENCH <workload> bytes=<n> ops=<n> ns=<n> errors=<n>
 *
 * Writes stamp the first and last 8 bytes of every 4 KiB block with its
 * offset and a generation number, and reads check the stamps, so a run
 * that moved the wrong bytes (or none) reports errors instead of a
 * figure.
 *
 * Copyright (c) 2026 The qemu-pseries-dma authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STAMP_BLOCK     4096
#define ALIGN           (64 * 1024)
#define NET_CHUNK       (64 * 1024)

static const char *workload;
static uint64_t generation = 1;     /* GEN, the last argument */

static void usage(void);

static void die(const char *what)
{
    fprintf(stderr, "dmabench %s: %s: %s\n", workload, what, strerror(errno));
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void report(uint64_t bytes, uint64_t ops, uint64_t ns,
                   uint64_t errors)
{
    printf("DMABENCH %s bytes=%" PRIu64 " ops=%" PRIu64 " ns=%" PRIu64
           " errors=%" PRIu64 "\n", workload, bytes, ops, ns, errors);
    fflush(stdout);
}

static uint64_t parse_size(const char *s)
{
    char suffix = 0;
    uint64_t v = 0;

    if (sscanf(s, "%" SCNu64 "%c", &v, &suffix) < 1) {
        usage();
    }
    switch (suffix) {
    case 'k': case 'K':
        return v << 10;
    case 'm': case 'M':
        return v << 20;
    case 'g': case 'G':
        return v << 30;
    }
    return v;
}

static size_t block_size(const char *s)
{
    uint64_t bs = parse_size(s);

    if (!bs || bs % STAMP_BLOCK || bs > (1 << 30)) {
        usage();
    }
    return bs;
}

static void *alloc_buf(size_t len)
{
    void *buf;

    if (posix_memalign(&buf, ALIGN, len)) {
        errno = ENOMEM;
        die("posix_memalign");
    }
    memset(buf, 0, len);
    return buf;
}

/* Never 0, and different for each offset and generation */
static uint64_t stamp_of(uint64_t off)
{
    return off ^ (generation << 48) ^ 0x5a5a000000000000ULL;
}

static void stamp(uint8_t *buf, size_t len, uint64_t off)
{
    size_t i;

    for (i = 0; i < len; i += STAMP_BLOCK) {
        uint64_t head = stamp_of(off + i), tail = ~head;

        memcpy(buf + i, &head, sizeof(head));
        memcpy(buf + i + STAMP_BLOCK - sizeof(tail), &tail, sizeof(tail));
    }
}

static uint64_t check(const uint8_t *buf, size_t len, uint64_t off)
{
    uint64_t bad = 0;
    size_t i;

    for (i = 0; i < len; i += STAMP_BLOCK) {
        uint64_t head, tail;

        memcpy(&head, buf + i, sizeof(head));
        memcpy(&tail, buf + i + STAMP_BLOCK - sizeof(tail), sizeof(tail));
        bad += head != stamp_of(off + i) || tail != ~head;
    }
    return bad;
}

/* Whole blocks of @bs at @off; O_DIRECT, so each is one DMA request */
static void xfer(int fd, uint8_t *buf, size_t bs, uint64_t off, int write)
{
    ssize_t n = write ? pwrite(fd, buf, bs, off) : pread(fd, buf, bs, off);

    if (n < 0) {
        die(write ? "pwrite" : "pread");
    }
    if ((size_t)n != bs) {
        errno = EIO;
        die("short transfer");
    }
}

/* @total bytes, in blocks of @bs, cycling over the first @span bytes */
static int blk_seq(const char *dev, size_t bs, uint64_t total, uint64_t span,
                   int write)
{
    int fd = open(dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
    uint8_t *buf = alloc_buf(bs);
    uint64_t done, errors = 0, ops = 0, t0;

    if (fd < 0) {
        die(dev);
    }
    if (span < bs) {
        errno = EINVAL;
        die("span smaller than one block");
    }
    t0 = now_ns();
    for (done = 0; done + bs <= total; done += bs, ops++) {
        uint64_t off = done % (span / bs * bs);

        if (write) {
            stamp(buf, bs, off);
        }
        xfer(fd, buf, bs, off, write);
        if (!write) {
            errors += check(buf, bs, off);
        }
    }
    if (write && fdatasync(fd) < 0) {
        die("fdatasync");
    }
    report(ops * bs, ops, now_ns() - t0, errors);
    close(fd);
    return errors != 0;
}

static int blk_rand(const char *dev, size_t bs, uint64_t span,
                    uint64_t count)
{
    int fd = open(dev, O_RDONLY | O_DIRECT);
    uint8_t *buf = alloc_buf(bs);
    uint64_t blocks = span / bs, x = 0x9e3779b97f4a7c15ULL;
    uint64_t i, errors = 0, t0;

    if (fd < 0) {
        die(dev);
    }
    if (!blocks) {
        errno = EINVAL;
        die("span smaller than one block");
    }
    t0 = now_ns();
    for (i = 0; i < count; i++) {
        uint64_t off;

        /* xorshift64: the same sequence in every run */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        off = (x % blocks) * bs;
        xfer(fd, buf, bs, off, 0);
        errors += check(buf, bs, off);
    }
    report(count * bs, count, now_ns() - t0, errors);
    close(fd);
    return errors != 0;
}

/* Send @total bytes to the host; it answers with the count it received */
static int net_send(const char *ip, int port, uint64_t total)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons(port) };
    uint8_t *buf = alloc_buf(NET_CHUNK);
    char reply[64] = "";
    uint64_t sent = 0, got, t0;
    size_t have = 0;
    int s;

    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
        errno = EINVAL;
        die(ip);
    }
    memset(buf, 0x5a, NET_CHUNK);
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        die("socket");
    }
    t0 = now_ns();
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        die("connect");
    }
    while (sent < total) {
        size_t len = total - sent < NET_CHUNK ? total - sent : NET_CHUNK;
        ssize_t n = write(s, buf, len);

        if (n < 0) {
            die("write");
        }
        sent += n;
    }
    shutdown(s, SHUT_WR);
    while (have < sizeof(reply) - 1) {
        ssize_t n = read(s, reply + have, sizeof(reply) - 1 - have);

        if (n < 0) {
            die("read");
        }
        if (n == 0) {
            break;
        }
        have += n;
    }
    if (sscanf(reply, "%" SCNu64, &got) != 1) {
        got = 0;
    }
    report(sent, (sent + NET_CHUNK - 1) / NET_CHUNK, now_ns() - t0,
           got != sent);
    close(s);
    return got != sent;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: dmabench seq-read|seq-write DEV BS TOTAL SPAN GEN\n"
            "       dmabench rand-read DEV BS SPAN COUNT GEN\n"
            "       dmabench net-send IP PORT TOTAL\n"
            "sizes take k, m and g suffixes; DEV is read and written with "
            "O_DIRECT in blocks of BS (a multiple of 4 KiB), each stamped "
            "with GEN; reads expect the GEN of the last write\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
    }
    workload = argv[1];
    if (!strcmp(workload, "seq-read") || !strcmp(workload, "seq-write")) {
        if (argc != 7) {
            usage();
        }
        generation = parse_size(argv[6]);
        return blk_seq(argv[2], block_size(argv[3]), parse_size(argv[4]),
                       parse_size(argv[5]), !strcmp(workload, "seq-write"));
    }
    if (!strcmp(workload, "rand-read")) {
        if (argc != 7) {
            usage();
        }
        generation = parse_size(argv[6]);
        return blk_rand(argv[2], block_size(argv[3]), parse_size(argv[4]),
                        parse_size(argv[5]));
    }
    if (!strcmp(workload, "net-send")) {
        if (argc != 5) {
            usage();
        }
        return net_send(argv[2], atoi(argv[3]), parse_size(argv[4]));
    }
    usage();
    return 2;
}
