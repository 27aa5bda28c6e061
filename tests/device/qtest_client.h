/* SPDX-License-Identifier: MIT */
/*
 * A small client of QEMU's qtest protocol: spawn qemu-system-x86_64 with
 * "-accel qtest -qtest stdio", send one text command per line and read its
 * "OK ..." / "FAIL ..." / "ERR ..." reply. No guest CPU runs; the test
 * plays the driver through MMIO and guest-memory reads and writes.
 *
 * Every wait has a deadline (poll()), so a hung or crashed QEMU fails the
 * test instead of hanging it. Errors are sticky: the first one is printed
 * to stderr and recorded, QEMU is killed, and every later call returns at
 * once (reads return 0), so a test can check qtest_error() once at the end
 * (the device tests' fixtures do that in their teardown).
 *
 * Each instance gets a private temporary directory for QEMU's stderr, the
 * -d guest_errors log and, with QT_QMP, the QMP socket; it is removed as
 * soon as QEMU is up (the client keeps descriptors), so a test that dies
 * leaves nothing behind. QEMU itself dies with the process that started it.
 */
#ifndef LUTCORE_TEST_QTEST_CLIENT_H
#define LUTCORE_TEST_QTEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qtest;

/* qtest_start() flags. */
#define QT_QMP (1u << 0) /* also open a QMP monitor (qtest_qmp_*) */

/* Per-command deadline, unless changed with qtest_set_timeout(). */
#define QT_TIMEOUT_MS 10000

/*
 * The QEMU binary: $LUTCORE_QEMU, else build/qemu-system-x86_64 found
 * relative to this executable (build/host/{tests,san}/NAME). Writes the
 * path to buf; returns 0, or -ENOENT if no executable is there.
 */
int qtest_find_qemu(char *buf, size_t len);

/*
 * Start QEMU: a microvm with PCIe, "-device DEVICE" (e.g.
 * "lutcore,num-cores=3"), mem_mib MiB of RAM, guest errors logged. Waits
 * until QEMU answers. Returns 0, -ENOENT if there is no QEMU binary, or
 * another -errno (the reason is printed).
 */
int qtest_start(struct qtest **out, const char *device, unsigned mem_mib, unsigned flags);

/*
 * Run argv (argv[0] a path) as the qtest peer: the primitive under
 * qtest_start(), also used by the client's own tests with stand-ins that
 * hang or exit. The child dies with the calling process.
 */
int qtest_spawn(struct qtest **out, char *const argv[]);

/*
 * Stop QEMU (SIGTERM, then SIGKILL after the deadline), remove the
 * temporary directory and free q. Returns QEMU's wait status as an exit
 * code: 0 for a clean exit on SIGTERM, 128 + signal if it crashed or had
 * to be killed, or -1 if it was killed after an earlier error.
 */
int qtest_stop(struct qtest *q);

/* 0, or the -errno of the first error; qtest_errmsg() says what failed. */
int qtest_error(const struct qtest *q);
const char *qtest_errmsg(const struct qtest *q);
/* Change the per-command deadline (client tests use short ones). */
void qtest_set_timeout(struct qtest *q, int ms);

/*
 * Send one command line (no newline) and wait for its reply. On "OK" the
 * rest of the reply (after "OK ", may be empty) goes to reply if it fits
 * and 0 is returned; "FAIL"/"ERR" replies give -EPROTO without killing
 * QEMU (the command was refused, the protocol is intact); timeouts and
 * EOF give -ETIMEDOUT / -EPIPE and are sticky.
 */
int qtest_cmd(struct qtest *q, char *reply, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* MMIO and memory through the CPU's address space (qtest readX/writeX). */
uint8_t qtest_readb(struct qtest *q, uint64_t addr);
uint16_t qtest_readw(struct qtest *q, uint64_t addr);
uint32_t qtest_readl(struct qtest *q, uint64_t addr);
uint64_t qtest_readq(struct qtest *q, uint64_t addr);
void qtest_writeb(struct qtest *q, uint64_t addr, uint8_t val);
void qtest_writew(struct qtest *q, uint64_t addr, uint16_t val);
void qtest_writel(struct qtest *q, uint64_t addr, uint32_t val);
void qtest_writeq(struct qtest *q, uint64_t addr, uint64_t val);

/* Bulk guest memory (qtest read/write/memset); len may be large. */
void qtest_memread(struct qtest *q, uint64_t addr, void *buf, size_t len);
void qtest_memwrite(struct qtest *q, uint64_t addr, const void *buf, size_t len);
void qtest_memset(struct qtest *q, uint64_t addr, uint8_t val, size_t len);

/*
 * Advance the virtual clock by ns; returns the new clock in ns (0 after
 * an error). The LUTCore device has no timers: its jobs run on host
 * threads in real time, so the tests poll instead.
 */
uint64_t qtest_clock_step(struct qtest *q, uint64_t ns);

/*
 * QMP (QT_QMP only): system_reset, and wait until QEMU reports the RESET
 * event, i.e. until every device has been reset. Returns 0 or -errno.
 */
int qtest_qmp_system_reset(struct qtest *q);

/*
 * The guest-error log (-d guest_errors -D FILE). QEMU flushes it after
 * each message, and MMIO runs synchronously in a qtest command, so a
 * message about an access is in the file when the command has returned.
 * qtest_log_mark() remembers the current end; qtest_log_since() returns
 * the text logged after the mark ("" if none), valid until the next call.
 */
void qtest_log_mark(struct qtest *q);
const char *qtest_log_since(struct qtest *q);

/* Sleep for ms milliseconds (polling loops in the tests). */
void qtest_msleep(unsigned ms);
/* CLOCK_MONOTONIC in milliseconds. */
uint64_t qtest_now_ms(void);

#endif /* LUTCORE_TEST_QTEST_CLIENT_H */
