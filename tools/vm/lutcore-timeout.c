// SPDX-License-Identifier: MIT
/*
 * lutcore-timeout: run a command with a time limit, inside the VM.
 *
 * Busybox's timeout does not kill the command's children and reports a
 * timeout with a different status than coreutils, so the in-VM test runner
 * uses this instead: the command runs in its own process group, the whole
 * group is killed on timeout, and the status follows coreutils (124 on
 * timeout, 128 + signal when the command was killed by a signal).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t expired;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: lutcore-timeout SECONDS COMMAND [ARG...]\n"
		   "Runs COMMAND in its own process group; kills the group after SECONDS.\n"
		   "Exit status: the command's, 124 on timeout, 128+N if killed by signal N.\n");
	return status;
}

static int wait_child(pid_t pid, const char *name, unsigned int secs)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, 0) == pid)
			break;
		if (errno != EINTR)
			return 125;
		if (expired) {
			fprintf(stderr, "lutcore-timeout: %s timed out after %u s\n", name, secs);
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 124;
		}
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "lutcore-timeout: %s killed by signal %d (%s)\n", name,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	unsigned long secs;
	char *end;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "--help"))
		return usage(stdout, 0);
	if (argc < 3)
		return usage(stderr, 125);
	secs = strtoul(argv[1], &end, 10);
	if (*end || secs == 0 || secs > 86400) {
		fprintf(stderr, "lutcore-timeout: bad SECONDS '%s' (1..86400)\n", argv[1]);
		return 125;
	}
	sigaction(SIGALRM, &sa, NULL);
	pid = fork();
	if (pid < 0) {
		perror("lutcore-timeout: fork");
		return 125;
	}
	if (pid == 0) {
		setpgid(0, 0);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "lutcore-timeout: cannot run %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	alarm((unsigned int)secs);
	return wait_child(pid, argv[2], (unsigned int)secs);
}
