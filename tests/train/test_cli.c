// SPDX-License-Identifier: MIT
/*
 * lutcore-train as a program (build/host/bin/, found from this test's own
 * path): --help and --version; every kind of bad command line gives one
 * line on stderr, nothing on stdout and exit status 1; and a tiny run end
 * to end: a vocabulary learned, a model trained with one and with two
 * threads into byte-identical files, a run stopped and resumed into the
 * same file again, and the file sampled and evaluated.
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "train_test.h"

struct out {
	int status;
	char o[8192], e[8192];
};

static void slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, size - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Run lutcore-train with args (NULL-terminated), output kept in dir. */
static int run(const char *dir, const char *const *args, struct out *r)
{
	char bin[PATH_MAX], self[PATH_MAX], po[4200], pe[4200];
	const char *argv[64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t pid;
	int i, st;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(bin, sizeof(bin), "%s/../bin/lutcore-train", dirname(self));
	snprintf(po, sizeof(po), "%s/stdout", dir);
	snprintf(pe, sizeof(pe), "%s/stderr", dir);
	argv[0] = bin;
	for (i = 0; i < 62 && args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	if (pid == 0) {
		int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fo, 1);
		dup2(fe, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	slurp(po, r->o, sizeof(r->o));
	slurp(pe, r->e, sizeof(r->e));
	return 0;
}

static int lines(const char *s)
{
	int n = 0;

	while ((s = strchr(s, '\n'))) {
		n++;
		s++;
	}
	return n;
}

FIXTURE(cli)
{
	char *dir;
	char text[4200], vocab[4200];
	struct out r;
};

FIXTURE_SETUP(cli)
{
	static const char *const words[] = {"the ",   "keeper ", "of ", "old ",	 "light ",
					    "house ", "kept ",	 "a ",	"book ", "tables. "};
	FILE *f;
	int i;

	self->dir = tt_tmpdir();
	ASSERT_NE(NULL, self->dir);
	snprintf(self->text, sizeof(self->text), "%s/text.txt", self->dir);
	snprintf(self->vocab, sizeof(self->vocab), "%s/vocab.gguf", self->dir);
	f = fopen(self->text, "w");
	ASSERT_NE(NULL, f);
	for (i = 0; i < 3000; i++)
		fputs(words[(i * 7 + i / 10) % 10], f);
	fclose(f);
}

FIXTURE_TEARDOWN(cli)
{
	tt_rmdir(self->dir);
}

TEST_F(cli, help_and_version)
{
	const char *help[] = {"--help", NULL}, *version[] = {"-V", NULL};

	ASSERT_EQ(0, run(self->dir, help, &self->r));
	EXPECT_EQ(0, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.o, "Usage: lutcore-train", 20));
	EXPECT_NE(NULL, strstr(self->r.o, "--resume FILE"));
	EXPECT_STREQ("", self->r.e);
	ASSERT_EQ(0, run(self->dir, version, &self->r));
	EXPECT_EQ(0, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.o, "lutcore-train (LUTCore) ", 24));
}

TEST_F(cli, bad_command_lines_get_one_line_and_status_1)
{
	static const char *const bad[][12] = {
		{"--bogus"},
		{"-x"},
		{"--dim"},
		{"--dim", "abc"},
		{"--dim", "0"},
		{"--steps", "-3"},
		{"--lr", "nan"},
		{"--lr", "2"},
		{"--ternary=1"},
		{"stray"},
		{NULL},
		{"--train", "t.txt", "-o", "m.gguf"},
		{"--learn-vocab", "10", "--train", "t.txt", "-o", "v.gguf"},
		{"--learn-vocab", "500"},
		{"--sample", "m.gguf"},
		{"--eval", "m.gguf"},
		{"--train", "t", "--vocab", "v", "-o", "m", "--stop-after", "2"},
		{"--train", "t", "--vocab", "v", "-o", "m", "--resume", "c", "--dim", "64"},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, run(self->dir, bad[i], &self->r));
		EXPECT_EQ(1, self->r.status)
		{
			TH_LOG("case %zu (%s): status %d", i, bad[i][0] ?: "no args",
			       self->r.status);
		}
		EXPECT_EQ(1, lines(self->r.e))
		{
			TH_LOG("case %zu: stderr '%s'", i, self->r.e);
		}
		EXPECT_EQ(0, strncmp(self->r.e, "lutcore-train: ", 15));
		EXPECT_STREQ("", self->r.o);
	}
}

TEST_F(cli, missing_files_get_one_line)
{
	const char *a[] = {"--learn-vocab",	  "300", "--train", "/nonexistent/t.txt", "-o",
			   "/nonexistent/v.gguf", NULL};
	const char *b[] = {"--sample", "/nonexistent/m.gguf", "--prompt", "x", NULL};

	ASSERT_EQ(0, run(self->dir, a, &self->r));
	EXPECT_EQ(1, self->r.status);
	EXPECT_EQ(1, lines(self->r.e));
	EXPECT_NE(NULL, strstr(self->r.e, "/nonexistent/t.txt"));
	ASSERT_EQ(0, run(self->dir, b, &self->r));
	EXPECT_EQ(1, self->r.status);
	EXPECT_EQ(1, lines(self->r.e));
}

static int same_file(const char *a, const char *b)
{
	FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
	int x = 0, y = 0, same = f && g;

	while (same && x != EOF) {
		x = fgetc(f);
		y = fgetc(g);
		same = x == y;
	}
	if (f)
		fclose(f);
	if (g)
		fclose(g);
	return same;
}

TEST_F(cli, train_resume_sample_and_eval)
{
	char m1[4300], m2[4300], m3[4300], ck[4300];
	const char *learn[] = {"--learn-vocab", "300", "--train", self->text, "-o",
			       self->vocab,	NULL};
	const char *base[] = {"--train", self->text, "--vocab",	 self->vocab, "--float",
			      "--dim",	 "16",	     "--heads",	 "2",	      "--ffn",
			      "32",	 "--ctx",    "16",	 "--batch",   "2",
			      "--steps", "3",	     "--warmup", "1",	      "-q"};
	const char *res[] = {"--train", self->text, "--vocab", self->vocab, "--resume",
			     ck,	"-o",	    m3,	       "-q",	    NULL};
	const char *smp[] = {"--sample", m1, "--prompt", "the keeper", "-n", "8", NULL};
	const char *ev[] = {"--eval", m1, "--heldout", self->text, NULL};
	const char *argv[40];
	size_t nb = sizeof(base) / sizeof(base[0]);

	snprintf(m1, sizeof(m1), "%s/m1.gguf", self->dir);
	snprintf(m2, sizeof(m2), "%s/m2.gguf", self->dir);
	snprintf(m3, sizeof(m3), "%s/m3.gguf", self->dir);
	snprintf(ck, sizeof(ck), "%s/run.ckpt", self->dir);
	ASSERT_EQ(0, run(self->dir, learn, &self->r));
	ASSERT_EQ(0, self->r.status)
	{
		TH_LOG("%s", self->r.e);
	}
	/* One thread, then two: the same bytes. */
	memcpy(argv, base, sizeof(base));
	argv[nb] = "-j1";
	argv[nb + 1] = "-o";
	argv[nb + 2] = m1;
	argv[nb + 3] = NULL;
	ASSERT_EQ(0, run(self->dir, argv, &self->r));
	ASSERT_EQ(0, self->r.status)
	{
		TH_LOG("%s", self->r.e);
	}
	EXPECT_NE(NULL, strstr(self->r.o, "wrote "));
	argv[nb] = "-j2";
	argv[nb + 2] = m2;
	ASSERT_EQ(0, run(self->dir, argv, &self->r));
	ASSERT_EQ(0, self->r.status);
	EXPECT_TRUE(same_file(m1, m2));
	/* One step, stop; resume for the other two: the same bytes again. */
	argv[nb + 2] = m3;
	argv[nb + 3] = "--save";
	argv[nb + 4] = ck;
	argv[nb + 5] = "--stop-after";
	argv[nb + 6] = "1";
	argv[nb + 7] = NULL;
	ASSERT_EQ(0, run(self->dir, argv, &self->r));
	ASSERT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.o, "stopped after step 1 of 3"));
	EXPECT_NE(0, access(m3, F_OK));
	ASSERT_EQ(0, run(self->dir, res, &self->r));
	ASSERT_EQ(0, self->r.status)
	{
		TH_LOG("%s", self->r.e);
	}
	EXPECT_TRUE(same_file(m1, m3));
	/* The trained file samples and evaluates. */
	ASSERT_EQ(0, run(self->dir, smp, &self->r));
	EXPECT_EQ(0, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.o, "the keeper", 10));
	ASSERT_EQ(0, run(self->dir, ev, &self->r));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.o, "perplexity"));
}

TEST_HARNESS_MAIN
