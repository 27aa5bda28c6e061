// SPDX-License-Identifier: MIT
/*
 * Host tests of lutcore-infer, run as a program: --help names every flag;
 * every bad flag, value, file or device ends with exit status 1 and exactly
 * one "lutcore-infer: " line; on a tiny model from lutcore-mkmodel the CPU
 * backend prints the prompt and the very text the runtime's greedy tokens
 * decode to, the summary and the speed line; sampling repeats per seed;
 * -f, -q, -n 0 and a full context behave as documented.
 *
 * The binaries are found next to this test's build directory
 * (build/host/{tests,san}/ -> build/host/bin/).
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "lutcore/gguf.h"
#include "lutcore/model.h"
#include "lutcore/tokenizer.h"

#define PROMPT	 "Once upon a time"
#define MAX_ARGS 32

struct run {
	int status; /* exit status, or 128 + signal */
	char *out, *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static const char *bin_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		abort();
	exe[n] = 0;
	snprintf(dir, sizeof(dir), "%s/../bin", dirname(exe));
	return dir;
}

static char *slurp(int fd)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *buf = malloc((size_t)n + 1);

	if (!buf || pread(fd, buf, (size_t)n, 0) != n)
		abort();
	buf[n] = 0;
	close(fd);
	return buf;
}

/* Run tool (from bin_dir()) with the NULL-terminated arguments. */
static void run_argv(struct run *r, const char *tool, const char *const *args)
{
	char path[PATH_MAX + 32];
	const char *argv[MAX_ARGS + 2] = {tool};
	int out = memfd_create("out", 0), err = memfd_create("err", 0), st, i;
	pid_t pid;

	for (i = 0; i < MAX_ARGS && args[i]; i++)
		argv[i + 1] = args[i];
	snprintf(path, sizeof(path), "%s/%s", bin_dir(), tool);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		abort();
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(out);
	r->err = slurp(err);
}

/* Run lutcore-infer with the arguments given (a NULL among them ends them). */
#define INFER(r, ...) run_argv(r, "lutcore-infer", (const char *const[]){__VA_ARGS__, NULL})

/* stderr is exactly one line, "lutcore-infer: ..." containing what. */
static int one_error_line(const struct run *r, const char *what)
{
	size_t n = strlen(r->err);

	return r->status == 1 && !r->out[0] && !strncmp(r->err, "lutcore-infer: ", 15) && n &&
	       strchr(r->err, '\n') == r->err + n - 1 && strstr(r->err, what);
}

FIXTURE(infer)
{
	char dir[64];
	char tq2[96], f16[96], text[96];
};

/*
 * Seed 10's first greedy token after the prompt begins with a space, so a
 * continuation decoded without LUT_TOK_DECODE_NO_STRIP would lose it.
 */
static void make_model(struct __test_metadata *_metadata, const char *path, const char *type)
{
	const char *args[] = {"-q", "-o", path, "--type", type, "--seed", "10", NULL};
	struct run r;

	run_argv(&r, "lutcore-mkmodel", args);
	ASSERT_EQ(0, r.status) TH_LOG("lutcore-mkmodel: %s", r.err);
	run_free(&r);
}

FIXTURE_SETUP(infer)
{
	FILE *f;

	strcpy(self->dir, "/tmp/lutcore-infer-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->tq2, sizeof(self->tq2), "%s/tiny-tq2_0.gguf", self->dir);
	snprintf(self->f16, sizeof(self->f16), "%s/tiny-f16.gguf", self->dir);
	snprintf(self->text, sizeof(self->text), "%s/not-a-model.txt", self->dir);
	make_model(_metadata, self->tq2, "tq2_0");
	make_model(_metadata, self->f16, "f16");
	f = fopen(self->text, "w");
	ASSERT_NE(NULL, f);
	fputs("this is a text file, not a GGUF model\n", f);
	fclose(f);
}

FIXTURE_TEARDOWN(infer)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

TEST(help_names_every_flag_and_default)
{
	static const char *const want[] = {
		"-m, --model", "-p, --prompt", "-f, --file",	"-n, --n-predict", "--temp",
		"--top-k",     "--top-p",      "--seed",	"--wbits",	   "--backend",
		"--device",    "--ctx",	       "-t, --threads", "--tables",	   "--no-bos",
		"-q, --quiet", "-h, --help",   "-V, --version", "default 128",	   PROMPT,
		"default 40",  "default 0.95", "default 24301", "/dev/lutcore",	   "LUTCORE_DEV",
	};
	struct run r;
	size_t i;

	INFER(&r, "--help");
	EXPECT_EQ(0, r.status);
	EXPECT_STREQ("", r.err);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *w = want[i];

		EXPECT_NE(NULL, strstr(r.out, w)) TH_LOG("--help lacks '%s'", w);
	}
	run_free(&r);

	INFER(&r, "-V");
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, strncmp(r.out, "lutcore-infer (LUTCore) ", 24));
	run_free(&r);
}

/* A bad command line: its arguments (after -m MODEL) and the message. */
struct bad {
	const char *args[4];
	const char *what;
};

static const struct bad bad_args[] = {
	{{"--bogus"}, "unknown option '--bogus'"},
	{{"-x"}, "unknown option '-x'"},
	{{"--no-bos=1"}, "option '--no-bos' takes no value"},
	{{"--temp"}, "option '--temp' needs a value"},
	{{"-n", "abc"}, "-n 'abc' is not a non-negative integer"},
	{{"-n", "-3"}, "-n '-3' is not a non-negative integer"},
	{{"-n", "12x"}, "-n '12x' is not a non-negative integer"},
	{{"-n", "99999999999"}, "-n '99999999999' is out of range"},
	{{"--ctx", "0"}, "--ctx '0' is out of range"},
	{{"--threads", "5000"}, "-t '5000' is out of range"},
	{{"--top-k", "4294967296"}, "--top-k '4294967296' is out of range"},
	{{"--seed", "x1"}, "--seed 'x1' is not a non-negative integer"},
	{{"--temp", "warm"}, "--temp 'warm' is not a finite number"},
	{{"--temp", "nan"}, "--temp 'nan' is not a finite number"},
	{{"--temp", "-0.5"}, "--temp '-0.5' is out of range"},
	{{"--top-p", "0"}, "--top-p '0' is out of range"},
	{{"--top-p", "1.5"}, "--top-p '1.5' is out of range"},
	{{"--wbits", "5"}, "--wbits '5' is out of range"},
	{{"--wbits", "0"}, "--wbits '0' is out of range"},
	{{"--wbits", "two"}, "--wbits 'two' is neither 1..4 nor ternary"},
	{{"--backend", "gpu"}, "--backend 'gpu' is neither device nor cpu"},
	{{"--tables", "i4"}, "--tables 'i4' is neither f16 nor i8"},
	{{"--device", ""}, "--device '' is an empty path"},
	{{"stray"}, "unexpected argument 'stray'"},
	{{"-p", "a", "-p", "b"}, "give one prompt"},
	{{"-f", "/nonexistent/prompt.txt"}, "-f /nonexistent/prompt.txt: No such file"},
	{{"--device", "/nonexistent/lutcore"}, "/nonexistent/lutcore: No such file or directory"},
	{{"--device", "/dev/null"}, "/dev/null: Not a LUTCore device"},
};

TEST_F(infer, bad_arguments_give_one_line_and_status_1)
{
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++) {
		const char *const *a = bad_args[i].args;

		INFER(&r, "-m", self->tq2, a[0], a[1], a[2], a[3]);
		EXPECT_TRUE(one_error_line(&r, bad_args[i].what))
		TH_LOG("case %zu (%s): status %d, stderr '%s'", i, a[0], r.status, r.err);
		run_free(&r);
	}
}

TEST_F(infer, bad_files_give_one_line_and_status_1)
{
	struct run r;

	INFER(&r, "-p", "hi");
	EXPECT_TRUE(one_error_line(&r, "no model; give -m FILE")) TH_LOG("%s", r.err);
	run_free(&r);
	INFER(&r, "-m", "/nonexistent/model.gguf");
	EXPECT_TRUE(one_error_line(&r, "/nonexistent/model.gguf: No such file or directory"))
	TH_LOG("%s", r.err);
	run_free(&r);
	/* Not GGUF: the runtime's own message, with the file's name. */
	INFER(&r, "-m", self->text, "--backend", "cpu");
	EXPECT_TRUE(one_error_line(&r, self->text)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "GGUF")) TH_LOG("%s", r.err);
	run_free(&r);
	INFER(&r, "-m", self->dir, "--backend", "cpu");
	EXPECT_TRUE(one_error_line(&r, self->dir)) TH_LOG("%s", r.err);
	run_free(&r);
}

TEST_F(infer, bad_prompts_give_one_line_and_status_1)
{
	struct run r;

	INFER(&r, "-m", self->tq2, "--backend", "cpu", "-p", "", "--no-bos");
	EXPECT_TRUE(one_error_line(&r, "the prompt is empty")) TH_LOG("%s", r.err);
	run_free(&r);
	INFER(&r, "-m", self->tq2, "--backend", "cpu", "--ctx", "3");
	EXPECT_TRUE(one_error_line(&r, "more than the context's 3 positions")) TH_LOG("%s", r.err);
	run_free(&r);
}

/* Append one streamed chunk (id < 0: the flush) to text at *len. */
static void put(struct lut_tok_stream *s, int32_t id, char *text, size_t *len)
{
	const char *t;
	size_t n;

	if ((id >= 0 ? lut_tok_stream_put(s, id, &t, &n) : lut_tok_stream_flush(s, &t, &n)) ||
	    *len + n >= 65536)
		abort();
	memcpy(text + *len, t, n + 1);
	*len += n;
}

/*
 * What the tool must print for -n n: the prompt, then the text of the
 * greedy tokens the runtime computes, streamed as a continuation of the
 * prompt, and a newline. The prompt's token count goes to *n_prompt.
 */
static char *expected_greedy(const char *path, const char *prompt, uint32_t n, int *n_prompt)
{
	struct lut_model_params p;
	struct lut_tok_stream *s;
	struct lut_model *m;
	struct lut_eval ev;
	int32_t ids[256], id;
	char *text = malloc(65536);
	size_t len;
	uint32_t i;
	int np;

	lut_model_params_default(&p);
	p.backend = LUT_BACKEND_CPU;
	if (!text || lut_model_load(path, &p, &m, NULL, 0) ||
	    lut_tok_stream_new(lut_model_tok(m), LUT_TOK_DECODE_NO_STRIP, &s))
		abort();
	np = lut_tok_encode(lut_model_tok(m), prompt, strlen(prompt), LUT_TOK_ADD_SPECIAL, ids,
			    256);
	if (np <= 0 || np > 256 || lut_model_eval(m, ids, (uint32_t)np, &ev))
		abort();
	len = (size_t)snprintf(text, 65536, "%s", prompt);
	for (i = 0; i < n && !lut_tok_is_eog(lut_model_tok(m), ev.argmax); i++) {
		id = ev.argmax;
		put(s, id, text, &len);
		if (lut_model_eval(m, &id, 1, &ev))
			abort();
	}
	put(s, -1, text, &len);
	strcpy(text + len, "\n");
	*n_prompt = np;
	lut_tok_stream_free(s);
	lut_model_free(m);
	return text;
}

TEST_F(infer, cpu_backend_prints_greedy_text_and_speed)
{
	char want_prompt[64];
	int n_prompt;
	char *want = expected_greedy(self->tq2, PROMPT, 12, &n_prompt);
	struct run r;

	INFER(&r, "-m", self->tq2, "--backend", "cpu", "-n", "12");
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_STREQ(want, r.out);
	EXPECT_GT(strlen(r.out), strlen(PROMPT "\n")) TH_LOG("no text was generated");
	EXPECT_NE(NULL, strstr(r.err, "model: llama")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "weights tq2_0 -> ternary")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "backend: cpu")) TH_LOG("%s", r.err);
	snprintf(want_prompt, sizeof(want_prompt), "\nprompt: %d tokens, ", n_prompt);
	EXPECT_NE(NULL, strstr(r.err, want_prompt)) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, " | decode: ")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, " ms/token modeled (")) TH_LOG("%s", r.err);
	run_free(&r);
	free(want);
}

TEST_F(infer, quiet_prompt_file_and_n0)
{
	char path[128], pad[1024] = PROMPT "\n";
	int n_prompt, fd;
	char *want = expected_greedy(self->tq2, PROMPT, 6, &n_prompt);
	struct run r;

	INFER(&r, "-m", self->tq2, "--backend", "cpu", "-n", "6", "-q");
	EXPECT_EQ(0, r.status);
	EXPECT_STREQ(want, r.out);
	EXPECT_STREQ("", r.err);
	run_free(&r);

	/* A NUL-padded prompt file, as the VM's prompt disk is. */
	snprintf(path, sizeof(path), "%s/prompt.img", self->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_EQ((ssize_t)sizeof(pad), write(fd, pad, sizeof(pad)));
	close(fd);
	INFER(&r, "-m", self->tq2, "--backend", "cpu", "-n", "6", "-f", path);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_STREQ(want, r.out);
	run_free(&r);

	INFER(&r, "-m", self->tq2, "--backend", "cpu", "-n", "0");
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_STREQ(PROMPT "\n", r.out);
	EXPECT_NE(NULL, strstr(r.err, "| decode: 0 tokens, n/a tok/s | device: n/a"))
	TH_LOG("%s", r.err);
	run_free(&r);
	free(want);
}

TEST_F(infer, full_context_stops_and_says_so)
{
	int n_prompt;
	char *want = expected_greedy(self->tq2, PROMPT, 4, &n_prompt);
	char ctx[16];
	struct run r;

	/*
	 * Room for three tokens after the prompt: the fourth is chosen from
	 * the last logits but has no position left to be evaluated at.
	 */
	snprintf(ctx, sizeof(ctx), "%d", n_prompt + 3);
	INFER(&r, "-m", self->tq2, "--backend", "cpu", "--ctx", ctx);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "the context is full")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "stopped after 4 tokens")) TH_LOG("%s", r.err);
	EXPECT_STREQ(want, r.out);
	run_free(&r);
	free(want);
}

TEST_F(infer, sampling_repeats_per_seed)
{
	struct run a, b;

	INFER(&a, "-m", self->tq2, "--backend", "cpu", "-n", "16", "--temp", "1.5", "--seed", "11",
	      "--top-k", "0");
	INFER(&b, "-m", self->tq2, "--backend", "cpu", "-n", "16", "--temp", "1.5", "--seed", "11",
	      "--top-k", "0");
	EXPECT_EQ(0, a.status) TH_LOG("%s", a.err);
	EXPECT_EQ(0, b.status);
	EXPECT_STREQ(a.out, b.out);
	EXPECT_EQ(0, strncmp(a.out, PROMPT, strlen(PROMPT)));
	run_free(&a);
	run_free(&b);
}

TEST_F(infer, wbits_on_float_weights_and_note_on_quantized)
{
	struct run r;

	INFER(&r, "-m", self->f16, "--backend", "cpu", "-n", "4", "--wbits", "2");
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "weights f16 -> int2")) TH_LOG("%s", r.err);
	run_free(&r);
	INFER(&r, "-m", self->f16, "--backend", "cpu", "-n", "4", "--wbits", "ternary", "--tables",
	      "i8");
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "weights f16 -> ternary")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "i8 tables")) TH_LOG("%s", r.err);
	run_free(&r);
	INFER(&r, "-m", self->tq2, "--backend", "cpu", "-n", "1", "--wbits", "3");
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "lutcore-infer: note: --wbits does not apply"))
	TH_LOG("%s", r.err);
	run_free(&r);
}

TEST_HARNESS_MAIN
