// SPDX-License-Identifier: MIT
/*
 * qtest protocol client: process handling, line I/O with deadlines, the
 * commands, QMP system_reset and the guest-error log. See qtest_client.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qtest_client.h"

/* Bytes of guest memory per read/write command (twice that in hex). */
#define QT_CHUNK (1u << 20)
/* How long QEMU gets to exit on SIGTERM before it is killed. */
#define QT_STOP_MS 5000

/* A line-oriented input stream with a growing buffer. */
struct lbuf {
	int fd;
	char *buf;
	size_t len;  /* bytes held */
	size_t used; /* bytes of the last line returned, dropped next time */
	size_t cap;
};

struct qtest {
	pid_t pid;
	int to_qemu;
	struct lbuf in;
	struct lbuf qmp;
	int timeout_ms;
	int err;
	int status; /* exit code once reaped, see qtest_stop() */
	bool reaped;
	char errmsg[256];
	char dir[PATH_MAX - 32];
	int err_fd; /* QEMU's stderr, read side */
	int log_fd; /* the guest-error log, read side */
	off_t log_mark;
	char *logtext;
};

static const char *const qt_files[] = {"qemu.err", "guest-errors.log", "qmp.sock"};

uint64_t qtest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void qtest_msleep(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void qt_path(const struct qtest *q, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", q->dir, name);
}

/* ---- Process handling ---------------------------------------------------- */

static int wait_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return 128 + WTERMSIG(wstatus);
}

/* Reap QEMU within ms milliseconds; false if it is still running. */
static bool qt_reap(struct qtest *q, unsigned ms)
{
	uint64_t end = qtest_now_ms() + ms;
	int ws;

	while (!q->reaped) {
		pid_t r = waitpid(q->pid, &ws, WNOHANG);

		if (r == q->pid) {
			q->reaped = true;
			q->status = wait_code(ws);
		} else if (r < 0 && errno != EINTR) {
			q->reaped = true;
			q->status = -1;
		} else if (qtest_now_ms() >= end) {
			return false;
		} else {
			qtest_msleep(2);
		}
	}
	return true;
}

/* Print the end of QEMU's stderr: an assertion or error message is there. */
static void qt_dump_stderr(const struct qtest *q)
{
	char buf[1024], *line, *save = NULL;
	struct stat st;
	off_t off;
	ssize_t n;

	if (q->err_fd < 0 || fstat(q->err_fd, &st))
		return;
	off = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
	n = pread(q->err_fd, buf, sizeof(buf) - 1, off);
	if (n <= 0)
		return;
	buf[n] = 0;
	fprintf(stderr, "# qtest: QEMU's stderr ends with:\n");
	/* As TAP diagnostics, so that no line can pass for a result. */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "#   %s\n", line);
}

/*
 * Record the first error and take QEMU down, so that every later call
 * fails fast. A refused command (-EPROTO) does not get here.
 */
static int qt_fail(struct qtest *q, int err, const char *fmt, ...)
{
	va_list ap;

	if (q->err)
		return q->err;
	q->err = err;
	va_start(ap, fmt);
	vsnprintf(q->errmsg, sizeof(q->errmsg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# qtest: %s (QEMU pid %d)\n", q->errmsg, (int)q->pid);
	/* After EOF QEMU is on its way out: let it tell how it ended. */
	if (q->pid > 0 && err == -EPIPE)
		qt_reap(q, QT_STOP_MS);
	if (q->pid > 0 && !q->reaped) {
		kill(q->pid, SIGKILL);
		qt_reap(q, QT_STOP_MS);
		q->status = -1;
	} else if (q->reaped) {
		fprintf(stderr, "# qtest: QEMU exited with status %d\n", q->status);
	}
	qt_dump_stderr(q);
	return err;
}

/* ---- Line I/O with deadlines --------------------------------------------- */

static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	for (;;) {
		uint64_t now = qtest_now_ms();

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)(deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int write_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return errno == EPIPE ? -EPIPE : -errno;
		n = wait_fd(fd, POLLOUT, deadline);
		if (n)
			return (int)n;
	}
	return 0;
}

static int lbuf_fill(struct lbuf *b, uint64_t deadline)
{
	ssize_t n;
	int err;

	if (b->cap - b->len < 4096) {
		size_t cap = b->cap ? 2 * b->cap : 65536;
		char *p = realloc(b->buf, cap);

		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->cap = cap;
	}
	for (;;) {
		n = read(b->fd, b->buf + b->len, b->cap - b->len - 1);
		if (n > 0) {
			b->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return -EPIPE;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		err = wait_fd(b->fd, POLLIN, deadline);
		if (err)
			return err;
	}
}

/* Next line without its newline, NUL-terminated in place. */
static int lbuf_getline(struct lbuf *b, uint64_t deadline, char **line)
{
	size_t scanned = 0;
	char *nl;
	int err;

	if (b->used) {
		memmove(b->buf, b->buf + b->used, b->len - b->used);
		b->len -= b->used;
		b->used = 0;
	}
	for (;;) {
		nl = b->len ? memchr(b->buf + scanned, '\n', b->len - scanned) : NULL;
		if (nl)
			break;
		scanned = b->len;
		err = lbuf_fill(b, deadline);
		if (err)
			return err;
	}
	*nl = 0;
	b->used = (size_t)(nl - b->buf) + 1;
	*line = b->buf;
	return 0;
}

static const char *err_what(int err)
{
	return err == -ETIMEDOUT ? "no reply before the deadline"
	       : err == -EPIPE	 ? "QEMU closed the connection"
				 : strerror(-err);
}

/*
 * Send a complete command line (with newline) and read its reply. Lines
 * other than OK/FAIL/ERR (asynchronous "IRQ ..." notes) are skipped.
 */
static int qt_transact(struct qtest *q, const char *line, size_t len, char *reply, size_t rlen)
{
	uint64_t deadline = qtest_now_ms() + (uint64_t)q->timeout_ms;
	/* What messages show of the command: no newline, no bulk data. */
	int show = (int)(len - 1 < 60 ? len - 1 : 60);
	char *r;
	int err;

	if (q->err)
		return q->err;
	err = write_all(q->to_qemu, line, len, deadline);
	while (!err) {
		err = lbuf_getline(&q->in, deadline, &r);
		if (err)
			break;
		if (!strncmp(r, "OK", 2) && (r[2] == 0 || r[2] == ' ')) {
			if (reply && rlen)
				snprintf(reply, rlen, "%s", r[2] ? r + 3 : "");
			return 0;
		}
		if (!strncmp(r, "FAIL", 4) || !strncmp(r, "ERR", 3)) {
			fprintf(stderr, "# qtest: '%.*s' refused: %s\n", show, line, r);
			return -EPROTO;
		}
	}
	return qt_fail(q, err, "'%.*s': %s", show, line, err_what(err));
}

int qtest_cmd(struct qtest *q, char *reply, size_t len, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return qt_fail(q, -E2BIG, "command too long: %.60s", fmt);
	line[n++] = '\n';
	return qt_transact(q, line, (size_t)n, reply, len);
}

/* ---- Starting and stopping ----------------------------------------------- */

static int qt_alloc(struct qtest **out)
{
	const char *tmp = getenv("TMPDIR");
	struct qtest *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->pid = -1;
	q->to_qemu = q->in.fd = q->qmp.fd = q->err_fd = q->log_fd = -1;
	q->timeout_ms = QT_TIMEOUT_MS;
	/* A short directory keeps the QMP socket path within sun_path. */
	if (!tmp || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(q->dir, sizeof(q->dir), "%s/lutcore-qtest.XXXXXX", tmp);
	if (!mkdtemp(q->dir)) {
		int err = -errno;

		fprintf(stderr, "# qtest: mkdtemp %s: %s\n", q->dir, strerror(errno));
		free(q);
		return err;
	}
	*out = q;
	return 0;
}

static void qt_child(char *const argv[], int in, int out, int errfd, pid_t parent)
{
	/* Never outlive the test, whatever kills it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
	/* The client ignores SIGPIPE; QEMU should get the default back. */
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int qt_exec(struct qtest *q, char *const argv[])
{
	int to[2], from[2], errfd;
	char path[PATH_MAX];
	pid_t parent = getpid();

	qt_path(q, "qemu.err", path, sizeof(path));
	errfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (errfd < 0)
		return -errno;
	q->err_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pipe2(to, O_CLOEXEC)) {
		close(errfd);
		return -errno;
	}
	if (pipe2(from, O_CLOEXEC)) {
		close(errfd);
		close(to[0]);
		close(to[1]);
		return -errno;
	}
	/* A write to a dead QEMU must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	q->pid = fork();
	if (q->pid == 0)
		qt_child(argv, to[0], from[1], errfd, parent);
	close(errfd);
	close(to[0]);
	close(from[1]);
	q->to_qemu = to[1];
	q->in.fd = from[0];
	if (q->pid < 0) {
		q->reaped = true;
		return -errno;
	}
	fcntl(q->to_qemu, F_SETFL, O_NONBLOCK);
	fcntl(q->in.fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/*
 * Remove the temporary directory. Called as soon as QEMU holds its files
 * and the client holds read descriptors for them: the harness may end a
 * failed test with abort() instead of its teardown, and nothing is then
 * left behind (QEMU itself dies with the test, see qt_child()).
 */
static void qt_cleanup(struct qtest *q)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(qt_files) / sizeof(qt_files[0]); i++) {
		qt_path(q, qt_files[i], path, sizeof(path));
		unlink(path);
	}
	rmdir(q->dir);
}

int qtest_spawn(struct qtest **out, char *const argv[])
{
	struct qtest *q;
	int err = qt_alloc(&q);

	if (err)
		return err;
	err = qt_exec(q, argv);
	if (err) {
		qtest_stop(q);
		return err;
	}
	qt_cleanup(q);
	*out = q;
	return 0;
}

int qtest_stop(struct qtest *q)
{
	int status;

	if (!q)
		return 0;
	if (q->to_qemu >= 0)
		close(q->to_qemu);
	if (q->pid > 0 && !q->reaped) {
		kill(q->pid, SIGTERM);
		if (!qt_reap(q, QT_STOP_MS)) {
			fprintf(stderr, "# qtest: QEMU ignored SIGTERM, killing it\n");
			kill(q->pid, SIGKILL);
			qt_reap(q, QT_STOP_MS);
			q->status = 128 + SIGKILL;
		}
	}
	status = q->status;
	if (q->in.fd >= 0)
		close(q->in.fd);
	if (q->qmp.fd >= 0)
		close(q->qmp.fd);
	if (q->err_fd >= 0)
		close(q->err_fd);
	if (q->log_fd >= 0)
		close(q->log_fd);
	qt_cleanup(q);
	free(q->in.buf);
	free(q->qmp.buf);
	free(q->logtext);
	free(q);
	return status;
}

int qtest_error(const struct qtest *q)
{
	return q->err;
}

const char *qtest_errmsg(const struct qtest *q)
{
	return q->err ? q->errmsg : "";
}

void qtest_set_timeout(struct qtest *q, int ms)
{
	q->timeout_ms = ms;
}

int qtest_find_qemu(char *buf, size_t len)
{
	const char *env = getenv("LUTCORE_QEMU");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;
	int up;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, X_OK) ? -ENOENT : 0;
	}
	/* build/host/tests/NAME -> build/qemu-system-x86_64 */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	for (up = 0; up < 3; up++) {
		slash = strrchr(exe, '/');
		if (!slash)
			return -ENOENT;
		*slash = 0;
	}
	snprintf(buf, len, "%s/qemu-system-x86_64", exe);
	return access(buf, X_OK) ? -ENOENT : 0;
}

static int qmp_connect(struct qtest *q)
{
	uint64_t deadline = qtest_now_ms() + (uint64_t)q->timeout_ms;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";
	char path[PATH_MAX], *line;
	int err;

	qt_path(q, "qmp.sock", path, sizeof(path));
	if (strlen(path) >= sizeof(sa.sun_path))
		return qt_fail(q, -ENAMETOOLONG, "QMP socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	q->qmp.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->qmp.fd < 0)
		return qt_fail(q, -errno, "QMP socket: %s", strerror(errno));
	/* QEMU creates the listening socket before it answers qtest. */
	if (connect(q->qmp.fd, (struct sockaddr *)&sa, sizeof(sa)))
		return qt_fail(q, -errno, "QMP connect %s: %s", sa.sun_path, strerror(errno));
	fcntl(q->qmp.fd, F_SETFL, O_NONBLOCK);
	err = lbuf_getline(&q->qmp, deadline, &line); /* the greeting */
	if (!err)
		err = write_all(q->qmp.fd, caps, sizeof(caps) - 1, deadline);
	while (!err) {
		err = lbuf_getline(&q->qmp, deadline, &line);
		if (!err && strstr(line, "\"return\""))
			return 0;
	}
	return qt_fail(q, err, "QMP handshake: %s", err_what(err));
}

/* QEMU's command line for qtest_start(); argv must have room for 32. */
static void qemu_argv(char **argv, char *qemu, const char *device, char *mem, char *log, char *qmp)
{
	/* A machine with nothing but the PCIe host, no firmware run, no display. */
	char *const fixed[] = {"-L",	     "/usr/share/seabios",
			       "-L",	     "/usr/share/qemu",
			       "-M",	     "microvm,pcie=on",
			       "-display",   "none",
			       "-accel",     "qtest",
			       "-qtest",     "stdio",
			       "-qtest-log", "none",
			       "-d",	     "guest_errors",
			       "-nodefaults"};
	int n = 0;
	size_t i;

	argv[n++] = qemu;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[n++] = fixed[i];
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-device";
	argv[n++] = (char *)device;
	argv[n++] = "-D";
	argv[n++] = log;
	if (qmp) {
		argv[n++] = "-qmp";
		argv[n++] = qmp;
	}
	argv[n] = NULL;
}

int qtest_start(struct qtest **out, const char *device, unsigned mem_mib, unsigned flags)
{
	char qemu[PATH_MAX], mem[16], log[PATH_MAX], qmp[PATH_MAX + 32], reply[64];
	char *argv[32];
	struct qtest *q;
	int err;

	err = qtest_find_qemu(qemu, sizeof(qemu));
	if (err)
		return err;
	err = qt_alloc(&q);
	if (err)
		return err;
	snprintf(mem, sizeof(mem), "%uM", mem_mib);
	qt_path(q, "guest-errors.log", log, sizeof(log));
	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server=on,wait=off", q->dir);
	qemu_argv(argv, qemu, device, mem, log, flags & QT_QMP ? qmp : NULL);
	err = qt_exec(q, argv);
	/* The first reply also waits for QEMU to finish starting. */
	if (!err)
		err = qtest_cmd(q, reply, sizeof(reply), "endianness");
	if (!err && strcmp(reply, "little"))
		err = qt_fail(q, -EPROTO, "unexpected endianness '%s'", reply);
	if (!err && (flags & QT_QMP))
		err = qmp_connect(q);
	if (!err) {
		/* QEMU opened the log at startup; keep reading it after the unlink. */
		q->log_fd = open(log, O_RDONLY | O_CLOEXEC);
		if (q->log_fd < 0)
			err = qt_fail(q, -errno, "open %s: %s", log, strerror(errno));
	}
	if (err) {
		qtest_stop(q);
		/* -ENOENT means "no QEMU binary" to the callers. */
		return err == -ENOENT ? -EIO : err;
	}
	qt_cleanup(q);
	*out = q;
	return 0;
}

/* ---- Commands ------------------------------------------------------------ */

static uint64_t qt_read(struct qtest *q, char sz, uint64_t addr)
{
	char reply[64];

	if (qtest_cmd(q, reply, sizeof(reply), "read%c 0x%llx", sz, (unsigned long long)addr))
		return 0;
	return strtoull(reply, NULL, 16);
}

static void qt_write(struct qtest *q, char sz, uint64_t addr, uint64_t val)
{
	qtest_cmd(q, NULL, 0, "write%c 0x%llx 0x%llx", sz, (unsigned long long)addr,
		  (unsigned long long)val);
}

uint8_t qtest_readb(struct qtest *q, uint64_t addr)
{
	return (uint8_t)qt_read(q, 'b', addr);
}

uint16_t qtest_readw(struct qtest *q, uint64_t addr)
{
	return (uint16_t)qt_read(q, 'w', addr);
}

uint32_t qtest_readl(struct qtest *q, uint64_t addr)
{
	return (uint32_t)qt_read(q, 'l', addr);
}

uint64_t qtest_readq(struct qtest *q, uint64_t addr)
{
	return qt_read(q, 'q', addr);
}

void qtest_writeb(struct qtest *q, uint64_t addr, uint8_t val)
{
	qt_write(q, 'b', addr, val);
}

void qtest_writew(struct qtest *q, uint64_t addr, uint16_t val)
{
	qt_write(q, 'w', addr, val);
}

void qtest_writel(struct qtest *q, uint64_t addr, uint32_t val)
{
	qt_write(q, 'l', addr, val);
}

void qtest_writeq(struct qtest *q, uint64_t addr, uint64_t val)
{
	qt_write(q, 'q', addr, val);
}

static const char hexdig[] = "0123456789abcdef";

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void memwrite_chunk(struct qtest *q, uint64_t addr, const uint8_t *p, size_t len)
{
	size_t cap = 64 + 2 * len, i;
	char *line = malloc(cap);
	int n;

	if (!line) {
		qt_fail(q, -ENOMEM, "out of memory for a %zu-byte write", len);
		return;
	}
	n = snprintf(line, cap, "write 0x%llx 0x%zx 0x", (unsigned long long)addr, len);
	for (i = 0; i < len; i++) {
		line[n++] = hexdig[p[i] >> 4];
		line[n++] = hexdig[p[i] & 15];
	}
	line[n++] = '\n';
	qt_transact(q, line, (size_t)n, NULL, 0);
	free(line);
}

void qtest_memwrite(struct qtest *q, uint64_t addr, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len && !q->err) {
		size_t n = len < QT_CHUNK ? len : QT_CHUNK;

		memwrite_chunk(q, addr, p, n);
		addr += n;
		p += n;
		len -= n;
	}
}

/* "read" replies do not fit qtest_cmd()'s reply buffer: parse in place. */
static void memread_chunk(struct qtest *q, uint64_t addr, uint8_t *p, size_t len)
{
	uint64_t deadline = qtest_now_ms() + (uint64_t)q->timeout_ms;
	char cmd[64], *r;
	size_t i;
	int n, err;

	n = snprintf(cmd, sizeof(cmd), "read 0x%llx 0x%zx\n", (unsigned long long)addr, len);
	err = write_all(q->to_qemu, cmd, (size_t)n, deadline);
	do {
		if (!err)
			err = lbuf_getline(&q->in, deadline, &r);
	} while (!err && strncmp(r, "OK ", 3) && strncmp(r, "FAIL", 4) && strncmp(r, "ERR", 3));
	if (err) {
		qt_fail(q, err, "'read 0x%llx': %s", (unsigned long long)addr, err_what(err));
		return;
	}
	if (strncmp(r, "OK 0x", 5) || strlen(r) != 5 + 2 * len) {
		qt_fail(q, -EPROTO, "'read 0x%llx': bad reply '%.40s'", (unsigned long long)addr,
			r);
		return;
	}
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(unhex(r[5 + 2 * i]) << 4 | unhex(r[6 + 2 * i]));
}

void qtest_memread(struct qtest *q, uint64_t addr, void *buf, size_t len)
{
	uint8_t *p = buf;

	memset(buf, 0, len);
	while (len && !q->err) {
		size_t n = len < QT_CHUNK ? len : QT_CHUNK;

		memread_chunk(q, addr, p, n);
		addr += n;
		p += n;
		len -= n;
	}
}

void qtest_memset(struct qtest *q, uint64_t addr, uint8_t val, size_t len)
{
	/* QEMU allocates the whole range at once; keep the chunks bounded. */
	while (len && !q->err) {
		size_t n = len < 16 * QT_CHUNK ? len : 16 * QT_CHUNK;

		qtest_cmd(q, NULL, 0, "memset 0x%llx 0x%zx 0x%x", (unsigned long long)addr, n, val);
		addr += n;
		len -= n;
	}
}

uint64_t qtest_clock_step(struct qtest *q, uint64_t ns)
{
	char reply[64];

	if (qtest_cmd(q, reply, sizeof(reply), "clock_step %llu", (unsigned long long)ns))
		return 0;
	return strtoull(reply, NULL, 10);
}

/* ---- QMP ----------------------------------------------------------------- */

int qtest_qmp_system_reset(struct qtest *q)
{
	static const char cmd[] = "{\"execute\": \"system_reset\"}\n";
	uint64_t deadline = qtest_now_ms() + (uint64_t)q->timeout_ms;
	bool returned = false, reset = false;
	char *line;
	int err;

	if (q->err)
		return q->err;
	if (q->qmp.fd < 0)
		return qt_fail(q, -EINVAL, "system_reset without QT_QMP");
	err = write_all(q->qmp.fd, cmd, sizeof(cmd) - 1, deadline);
	/* The reply comes first; the RESET event once the reset has run. */
	while (!err && !(returned && reset)) {
		err = lbuf_getline(&q->qmp, deadline, &line);
		if (err)
			break;
		if (strstr(line, "\"error\""))
			return qt_fail(q, -EPROTO, "system_reset: %.100s", line);
		returned |= strstr(line, "\"return\"") != NULL;
		reset |= strstr(line, "\"RESET\"") != NULL;
	}
	return err ? qt_fail(q, err, "system_reset: %s", err_what(err)) : 0;
}

/* ---- Guest-error log ----------------------------------------------------- */

void qtest_log_mark(struct qtest *q)
{
	struct stat st;

	q->log_mark = q->log_fd >= 0 && !fstat(q->log_fd, &st) ? st.st_size : 0;
}

const char *qtest_log_since(struct qtest *q)
{
	struct stat st;
	ssize_t n = 0;

	free(q->logtext);
	q->logtext = NULL;
	if (q->log_fd >= 0 && !fstat(q->log_fd, &st) && st.st_size > q->log_mark) {
		size_t len = (size_t)(st.st_size - q->log_mark);

		q->logtext = malloc(len + 1);
		if (q->logtext)
			n = pread(q->log_fd, q->logtext, len, q->log_mark);
	}
	if (!q->logtext)
		return "";
	q->logtext[n > 0 ? n : 0] = 0;
	return q->logtext;
}
