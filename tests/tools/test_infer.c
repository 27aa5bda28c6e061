// SPDX-License-Identifier: MIT
/*
 * Host tests of lutcore-infer, run as a program: --help names every flag;
 * every bad flag, value, file or device ends with exit status 1 and exactly
 * one "lutcore-infer: " line; on a tiny model from lutcore-mkmodel the CPU
 * backend prints the prompt and the very text the runtime's greedy tokens
 * decode to, the summary and the speed line; sampling repeats per seed;
 * -f, -q, -n 0 and a full context behave as documented; --perplexity
 * prints the value that token-by-token decoding gives with the documented
 * windows (BOS first, or without BOS the first token of each window
 * unscored; --ppl-tokens caps), repeats exactly, runs with INT8 tables,
 * and rejects bad files, empty texts and conflicting options.
 *
 * The binaries are found next to this test's build directory
 * (build/host/{tests,san}/ -> build/host/bin/).
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
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
	char tq2[96], f16[96], text[96], story[96];
};

/* The text --perplexity scores in the tests: a few hundred tokens of English. */
static const char story[] =
	"Once upon a time there was a little robot who lived in a small house by the sea.\n"
	"Every morning the robot walked along the beach and counted the shells.\n"
	"One day it found a bottle with a letter inside, and the letter said: hello!\n"
	"The robot wrote an answer, put it back into the bottle and threw it far away.\n"
	"%\n"
	"The end of a story is the beginning of another one.\n";

static void write_file(struct __test_metadata *_metadata, const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int bad;

	ASSERT_NE(NULL, f);
	bad = fwrite(p, 1, n, f) != n;
	bad |= fclose(f) != 0;
	ASSERT_EQ(0, bad) TH_LOG("writing %s failed", path);
}

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
	snprintf(self->story, sizeof(self->story), "%s/story.txt", self->dir);
	make_model(_metadata, self->tq2, "tq2_0");
	make_model(_metadata, self->f16, "f16");
	write_file(_metadata, self->story, story, strlen(story));
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
		"-m, --model",	 "-p, --prompt",      "-f, --file",	"-n, --n-predict",
		"--temp",	 "--top-k",	      "--top-p",	"--seed",
		"--wbits",	 "--backend",	      "--device",	"--ctx",
		"-t, --threads", "--tables",	      "--no-bos",	"-q, --quiet",
		"-h, --help",	 "-V, --version",     "default 128",	PROMPT,
		"default 40",	 "default 0.95",      "default 24301",	"/dev/lutcore",
		"LUTCORE_DEV",	 "--perplexity FILE", "--ppl-tokens N", "default 0: all",
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
	{{"--threads", "2"}, "--threads is for --backend cpu"},
	{{"-t", "1", "--backend", "device"}, "--threads is for --backend cpu"},
	{{"--backend", "cpu", "--device", "/dev/null"}, "--device is for --backend device"},
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
	{{"--perplexity", "/nonexistent/text.txt"},
	 "--perplexity /nonexistent/text.txt: No such file"},
	{{"--perplexity", ""}, "--perplexity '' is an empty path"},
	{{"--ppl-tokens", "12"}, "--ppl-tokens needs --perplexity FILE"},
	{{"--ppl-tokens", "x"}, "--ppl-tokens 'x' is not a non-negative integer"},
	{{"--perplexity", "/dev/null", "-p", "hi"}, "--perplexity /dev/null: the text is empty"},
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

/* ---- --perplexity ------------------------------------------------------------------ */

/* What the tool printed: "perplexity: P over N tokens (nll L/token), ..." */
struct ppl_line {
	double ppl, nll;
	unsigned long long n;
};

static int parse_ppl(const char *out, struct ppl_line *p)
{
	return sscanf(out, "perplexity: %lf over %llu tokens (nll %lf/token)", &p->ppl, &p->n,
		      &p->nll) == 3;
}

/* -ln softmax(x)[t] */
static double nll_of(const float *x, uint32_t V, int32_t t)
{
	double max = x[0], sum;
	uint32_t v;

	for (v = 1; v < V; v++)
		max = x[v] > max ? x[v] : max;
	sum = exp((double)x[0] - max);
	for (v = 1; v < V; v++)
		sum += exp((double)x[v] - max);
	return log(sum) - ((double)x[t] - max);
}

/*
 * The perplexity the documentation describes, computed here with single
 * decode steps (lut_model_eval of one token): the text's tokens cut into
 * windows of ctx positions, each run from position 0; with BOS a window is
 * BOS and ctx - 1 text tokens and scores ctx of them, without BOS it is
 * ctx text tokens and scores all but the first; at most cap (0: all).
 */
static struct ppl_line reference_ppl(const char *model, const char *text, uint32_t ctx, bool bos,
				     uint64_t cap)
{
	struct lut_model_params p;
	struct lut_model *m;
	struct lut_eval ev;
	struct ppl_line r = {0, 0, 0};
	int32_t ids[4096], in;
	int n, start, i, len;
	uint64_t need = cap ? cap : 1ull << 40;
	double sum = 0;

	lut_model_params_default(&p);
	p.backend = LUT_BACKEND_CPU;
	p.ctx = ctx;
	if (lut_model_load(model, &p, &m, NULL, 0))
		abort();
	n = lut_tok_encode(lut_model_tok(m), text, strlen(text), 0, ids, 4096);
	if (n <= 0 || n > 4096)
		abort();
	for (start = 0; start < n && need > (uint64_t)!bos; start += len) {
		len = n - start < (int)ctx ? n - start : (int)ctx;
		if ((uint64_t)len > need + !bos)
			len = (int)need + !bos;
		if (!bos && len < 2)
			break;
		lut_model_rewind(m, 0);
		for (i = bos ? -1 : 0; i < len - 1; i++) {
			in = i < 0 ? lut_tok_bos(lut_model_tok(m)) : ids[start + i];
			if (lut_model_eval(m, &in, 1, &ev))
				abort();
			sum += nll_of(ev.logits, lut_model_info(m)->n_vocab, ids[start + i + 1]);
			r.n++;
		}
		need -= (uint64_t)len - !bos;
	}
	r.nll = sum / (double)r.n;
	r.ppl = exp(r.nll);
	lut_model_free(m);
	return r;
}

/*
 * --perplexity of the story on the CPU backend with --ctx ctx, BOS or
 * --no-bos, --ppl-tokens cap: the value reference_ppl() computes, over as
 * many tokens; the line is all stdout has with -q.
 */
static void check_ppl(struct __test_metadata *_metadata, const char *model, const char *path,
		      uint32_t ctx, bool bos, uint32_t cap)
{
	struct ppl_line got, want = reference_ppl(model, story, ctx, bos, cap);
	char c[16], n[16];
	struct run r;

	snprintf(c, sizeof(c), "%u", ctx);
	snprintf(n, sizeof(n), "%u", cap);
	INFER(&r, "-m", model, "--backend", "cpu", "--perplexity", path, "--ctx", c, "--ppl-tokens",
	      n, "-q", bos ? NULL : "--no-bos");
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_STREQ("", r.err);
	ASSERT_TRUE(parse_ppl(r.out, &got)) TH_LOG("stdout: %s", r.out);
	EXPECT_EQ(want.n, got.n);
	EXPECT_TRUE(isfinite(got.ppl) && got.ppl > 1);
	/* Printed with 6 decimals; the logits are the same bits. */
	EXPECT_GT(1e-6, fabs(got.nll - want.nll)) TH_LOG("nll %.6f, want %.6f", got.nll, want.nll);
	EXPECT_GT(1e-3 * want.ppl, fabs(got.ppl - want.ppl));
	EXPECT_NE(NULL, strstr(r.out, "), backend cpu, tables f16\n")) TH_LOG("%s", r.out);
	EXPECT_EQ(NULL, strchr(strchr(r.out, '\n') + 1, '\n')) TH_LOG("one line: %s", r.out);
	TH_LOG("ctx %u, %s, cap %u: %.*s", ctx, bos ? "BOS" : "no BOS", cap,
	       (int)strcspn(r.out, "\n"), r.out);
	run_free(&r);
}

TEST_F(infer, perplexity_equals_decoding_token_by_token)
{
	/* Several windows and a short last one; capped inside the second window. */
	check_ppl(_metadata, self->tq2, self->story, 16, true, 0);
	check_ppl(_metadata, self->tq2, self->story, 16, true, 20);
	check_ppl(_metadata, self->tq2, self->story, 16, false, 0);
	check_ppl(_metadata, self->tq2, self->story, 16, false, 20);
	/* The model's own context: one window. */
	check_ppl(_metadata, self->f16, self->story, 256, true, 0);
}

TEST_F(infer, perplexity_repeats_and_runs_with_int8_tables)
{
	struct ppl_line a, b;
	struct run r1, r2;

	INFER(&r1, "-m", self->tq2, "--backend", "cpu", "--perplexity", self->story, "--ctx", "32");
	INFER(&r2, "-m", self->tq2, "--backend", "cpu", "--perplexity", self->story, "--ctx", "32",
	      "-t", "1");
	ASSERT_EQ(0, r1.status) TH_LOG("%s", r1.err);
	ASSERT_EQ(0, r2.status) TH_LOG("%s", r2.err);
	EXPECT_STREQ(r1.out, r2.out) TH_LOG("the thread count changed the result");
	EXPECT_TRUE(parse_ppl(r1.out, &a)) TH_LOG("%s", r1.out);
	/* Progress and the summary on stderr, without -q. */
	EXPECT_NE(NULL, strstr(r1.err, "model: llama")) TH_LOG("%s", r1.err);
	EXPECT_NE(NULL, strstr(r1.err, "windows of 32 positions (BOS first)")) TH_LOG("%s", r1.err);
	EXPECT_NE(NULL, strstr(r1.err, "perplexity: window ")) TH_LOG("%s", r1.err);
	run_free(&r1);
	run_free(&r2);

	INFER(&r1, "-m", self->tq2, "--backend", "cpu", "--perplexity", self->story, "--ctx", "32",
	      "--tables", "i8", "-q");
	ASSERT_EQ(0, r1.status) TH_LOG("%s", r1.err);
	ASSERT_TRUE(parse_ppl(r1.out, &b)) TH_LOG("%s", r1.out);
	EXPECT_EQ(a.n, b.n);
	EXPECT_TRUE(isfinite(b.ppl) && b.ppl > 1);
	EXPECT_NE(NULL, strstr(r1.out, "tables i8")) TH_LOG("%s", r1.out);
	TH_LOG("f16 tables nll %.6f, i8 tables nll %.6f", a.nll, b.nll);
	run_free(&r1);
}

/* Copy src to dst with the first "from" in it overwritten by "to". */
static void patched_copy(struct __test_metadata *_metadata, const char *src, const char *dst,
			 const char *from, const char *to)
{
	int fd = open(src, O_RDONLY);
	char *p, *hit = NULL;
	size_t n, i;

	ASSERT_LE(0, fd);
	n = (size_t)lseek(fd, 0, SEEK_END);
	p = slurp(fd); /* closes fd */
	for (i = 0; i + strlen(from) <= n && !hit; i++)
		if (!memcmp(p + i, from, strlen(from)))
			hit = p + i;
	ASSERT_NE(NULL, hit);
	memcpy(hit, to, strlen(to));
	write_file(_metadata, dst, p, n);
	free(p);
}

TEST_F(infer, perplexity_errors)
{
	char path[128], model[128], nul[64] = {0};
	struct run r;

	/* A NUL-padded disk image without text is empty too. */
	snprintf(path, sizeof(path), "%s/zeros.img", self->dir);
	write_file(_metadata, path, nul, sizeof(nul));
	INFER(&r, "-m", self->tq2, "--backend", "cpu", "--perplexity", path);
	EXPECT_TRUE(one_error_line(&r, "the text is empty")) TH_LOG("%s", r.err);
	run_free(&r);
	/* One token, without BOS: nothing to predict it from. */
	snprintf(path, sizeof(path), "%s/one.txt", self->dir);
	write_file(_metadata, path, "a", 1);
	INFER(&r, "-m", self->tq2, "--backend", "cpu", "--perplexity", path, "--no-bos");
	EXPECT_TRUE(one_error_line(&r, "nothing to score in 1 token (no BOS, windows of 256)"))
	TH_LOG("%s", r.err);
	run_free(&r);
	INFER(&r, "-m", self->tq2, "--backend", "cpu", "--perplexity", self->story, "--no-bos",
	      "--ctx", "1");
	EXPECT_TRUE(one_error_line(&r, "(no BOS, windows of 1)"))
	TH_LOG("%s", r.err);
	run_free(&r);
	INFER(&r, "-m", self->tq2, "--backend", "cpu", "--perplexity", self->story, "-f",
	      self->story);
	EXPECT_TRUE(one_error_line(&r, "give no prompt")) TH_LOG("%s", r.err);
	run_free(&r);
	INFER(&r, "-m", self->tq2, "--perplexity", self->story, "--perplexity", self->story);
	EXPECT_TRUE(one_error_line(&r, "give --perplexity once")) TH_LOG("%s", r.err);
	run_free(&r);
	/* A model without a tokenizer runs from ids, but cannot read a text. */
	snprintf(model, sizeof(model), "%s/no-tokenizer.gguf", self->dir);
	patched_copy(_metadata, self->tq2, model, "tokenizer.ggml.model", "tokenizer.ggml.mode_");
	INFER(&r, "-m", model, "--backend", "cpu", "--perplexity", self->story);
	EXPECT_TRUE(one_error_line(&r, "the model has no tokenizer")) TH_LOG("%s", r.err);
	run_free(&r);
	/* Nor a prompt. */
	INFER(&r, "-m", model, "--backend", "cpu", "-q", "-p", "hi");
	EXPECT_TRUE(one_error_line(&r, "the model has no tokenizer")) TH_LOG("%s", r.err);
	run_free(&r);
}

TEST_HARNESS_MAIN
