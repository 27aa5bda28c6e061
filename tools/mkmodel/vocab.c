// SPDX-License-Identifier: MIT
/*
 * lutcore-mkmodel's vocabulary: byte-pair merges learned from mk_corpus
 * (or, for lutcore-train, from a training text).
 *
 * The text is cut into words the way LLaMA 3's pre-tokenizer roughly does
 * (a space sticks to the letters after it, digits go in threes,
 * punctuation runs stand alone). Each word starts as a list of symbols
 * (BPE: one byte-level character per byte; SPM: one UTF-8 character, with
 * spaces written U+2581), and the most frequent adjacent pair over all
 * words is merged into a new symbol until the token budget is spent or no
 * pair occurs twice. Ties go to the pair with the lower symbol ids, so the
 * result depends on nothing but the text.
 *
 * Layouts. BPE ("gpt2", like LLaMA 3): ids 0..255 are the byte-level
 * characters of bytes 0..255, then one token per new merged string, then
 * unused fillers, then the control tokens <|begin_of_text|> (BOS),
 * <|end_of_text|> (EOS), <|eot_id|> and, for vocabularies of 4096 and more,
 * reserved ones up to 256 specials (so a 128256 vocabulary has BOS 128000
 * and EOS 128001, as LLaMA 3). SPM ("llama", like LLaMA 2): <unk>, <s>,
 * </s>, the byte tokens <0x00>..<0xFF>, the characters of the text (in
 * the order of the sorted distinct words), the merged pieces with falling
 * scores, then unused fillers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mkmodel.h"

struct word {
	int *sym;
	int len, count;
};

struct learner {
	char **sym; /* symbol strings */
	int n_sym, cap_sym;
	struct word *words;
	int n_words;
	int (*merges)[3]; /* left, right, result */
	int n_merges;
};

static bool letter(uint8_t c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

static bool digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool space(uint8_t c)
{
	return c == ' ' || c == '\n' || c == '\t';
}

/* Length of the word at s[0..n). */
static size_t word_len(const uint8_t *s, size_t n)
{
	size_t i = 0;

	if (s[0] == ' ' && n > 1 && letter(s[1]))
		i = 1;
	if (letter(s[i])) {
		while (i < n && letter(s[i]))
			i++;
		return i;
	}
	if (digit(s[0])) {
		while (i < n && i < 3 && digit(s[i]))
			i++;
		return i;
	}
	if (space(s[0]))
		return 1;
	while (i < n && !letter(s[i]) && !digit(s[i]) && !space(s[i]))
		i++;
	return i;
}

static int sym_find(const struct learner *l, const char *s)
{
	int i;

	for (i = 0; i < l->n_sym; i++)
		if (!strcmp(l->sym[i], s))
			return i;
	return -1;
}

/* The id of symbol s, added when new; -ENOMEM on failure. */
static int sym_get(struct learner *l, const char *s)
{
	int i = sym_find(l, s);

	if (i >= 0)
		return i;
	if (l->n_sym == l->cap_sym) {
		int cap = l->cap_sym ? 2 * l->cap_sym : 512;
		char **p = realloc(l->sym, (size_t)cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->sym = p;
		l->cap_sym = cap;
	}
	l->sym[l->n_sym] = strdup(s);
	return l->sym[l->n_sym] ? l->n_sym++ : -ENOMEM;
}

/* The byte-level character of byte b (GPT-2's map, see lib/tok_text.c). */
static void byte_char(unsigned int b, char out[3])
{
	unsigned int cp = b, i, k = 0;
	bool self = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;

	if (!self) {
		for (i = 0; i < b; i++)
			k += !((i >= 0x21 && i <= 0x7e) || (i >= 0xa1 && i <= 0xac) || i >= 0xae);
		cp = 0x100 + k;
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		out[1] = 0;
	} else {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		out[2] = 0;
	}
}

/* The symbols of one word: bytes (BPE) or characters with ' ' as U+2581. */
static int word_symbols(struct learner *l, enum mk_tok tok, const uint8_t *s, size_t n,
			struct word *w)
{
	size_t i, k;
	char ch[5];

	w->sym = malloc(n * sizeof(*w->sym));
	if (!w->sym)
		return -ENOMEM;
	for (i = 0; i < n; i += k) {
		k = 1;
		if (tok == MK_TOK_BPE) {
			byte_char(s[i], ch);
		} else if (s[i] == ' ') {
			strcpy(ch, "\xe2\x96\x81");
		} else {
			while (i + k < n && (s[i + k] & 0xc0) == 0x80 && k < 4)
				k++;
			memcpy(ch, s + i, k);
			ch[k] = 0;
		}
		w->sym[w->len] = sym_get(l, ch);
		if (w->sym[w->len++] < 0)
			return -ENOMEM;
	}
	return 0;
}

struct span {
	const uint8_t *s;
	size_t n;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	int r = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);

	return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* Cut the text into words and count each distinct one. */
static int load_words(struct learner *l, enum mk_tok tok, const char *text, size_t n)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t pos, k, i, m = 0;
	struct span *sp = malloc((n ? n : 1) * sizeof(*sp));
	int ret = 0;

	l->words = calloc(n ? n : 1, sizeof(*l->words));
	if (!sp || !l->words) {
		free(sp);
		return -ENOMEM;
	}
	for (pos = 0; pos < n; pos += k) {
		k = word_len(s + pos, n - pos);
		sp[m++] = (struct span){s + pos, k};
	}
	/* Symbols get their ids in the order of the sorted distinct words. */
	qsort(sp, m, sizeof(*sp), cmp_span);
	for (i = 0; i < m && !ret; i++) {
		if (i && !cmp_span(&sp[i - 1], &sp[i])) {
			l->words[l->n_words - 1].count++;
			continue;
		}
		l->words[l->n_words].count = 1;
		ret = word_symbols(l, tok, sp[i].s, sp[i].n, &l->words[l->n_words++]);
	}
	free(sp);
	return ret;
}

struct pair {
	int a, b, count;
};

static int cmp_pair(const void *x, const void *y)
{
	const struct pair *p = x, *q = y;

	if (p->a != q->a)
		return p->a - q->a;
	return p->b - q->b;
}

/* The most frequent pair (ties: lower ids); count 0 when none. */
static struct pair best_pair(const struct learner *l, struct pair *buf)
{
	struct pair best = {0, 0, 0};
	int i, j, n = 0;

	for (i = 0; i < l->n_words; i++)
		for (j = 0; j + 1 < l->words[i].len; j++)
			buf[n++] = (struct pair){l->words[i].sym[j], l->words[i].sym[j + 1],
						 l->words[i].count};
	qsort(buf, (size_t)n, sizeof(*buf), cmp_pair);
	for (i = 0; i < n; i = j) {
		struct pair p = buf[i];

		for (j = i + 1; j < n && !cmp_pair(&buf[j], &p); j++)
			p.count += buf[j].count;
		if (p.count > best.count) /* sorted, so the first best has the lowest ids */
			best = p;
	}
	return best;
}

static void apply_merge(struct learner *l, int a, int b, int r)
{
	int i, j, k;

	for (i = 0; i < l->n_words; i++) {
		struct word *w = &l->words[i];

		for (j = 0, k = 0; j < w->len; j++, k++) {
			if (j + 1 < w->len && w->sym[j] == a && w->sym[j + 1] == b) {
				w->sym[k] = r;
				j++;
			} else {
				w->sym[k] = w->sym[j];
			}
		}
		w->len = k;
	}
}

/* Merge until budget new symbols exist or no pair occurs twice. */
static int learn(struct learner *l, int budget)
{
	int total = 0, i, first_new = l->n_sym;
	struct pair *buf, p;
	char *s;

	for (i = 0; i < l->n_words; i++)
		total += l->words[i].len;
	buf = malloc((size_t)(total ? total : 1) * sizeof(*buf));
	l->merges = malloc((MK_MAX_MERGES + 1) * sizeof(*l->merges));
	if (!buf || !l->merges) {
		free(buf);
		return -ENOMEM;
	}
	while (l->n_sym - first_new < budget && l->n_merges < MK_MAX_MERGES) {
		p = best_pair(l, buf);
		if (p.count < 2)
			break;
		s = malloc(strlen(l->sym[p.a]) + strlen(l->sym[p.b]) + 1);
		if (!s)
			break;
		strcpy(stpcpy(s, l->sym[p.a]), l->sym[p.b]);
		i = sym_get(l, s);
		free(s);
		if (i < 0)
			break;
		l->merges[l->n_merges][0] = p.a;
		l->merges[l->n_merges][1] = p.b;
		l->merges[l->n_merges++][2] = i;
		apply_merge(l, p.a, p.b, i);
	}
	free(buf);
	return 0;
}

static void learner_free(struct learner *l)
{
	int i;

	for (i = 0; i < l->n_sym; i++)
		free(l->sym[i]);
	for (i = 0; i < l->n_words; i++)
		free(l->words[i].sym);
	free(l->sym);
	free(l->words);
	free(l->merges);
}

/* ---- Assembling the vocabulary ------------------------------------------ */

static int add_token(struct mk_vocab *v, const char *s, float score, int32_t type)
{
	v->tokens[v->n] = strdup(s);
	if (!v->tokens[v->n])
		return -ENOMEM;
	v->scores[v->n] = score;
	v->types[v->n++] = type;
	return 0;
}

/* Fill the vocabulary with unused tokens up to `upto`. */
static int add_fillers(struct mk_vocab *v, uint32_t upto, const char *fmt)
{
	char name[48];
	uint32_t k = 0;
	int ret = 0;

	while (v->n < upto && !ret) {
		snprintf(name, sizeof(name), fmt, k++);
		ret = add_token(v, name, 0.0f, 5 /* unused */);
	}
	return ret;
}

static int bpe_specials(struct mk_vocab *v, uint32_t n_special)
{
	static const char *const names[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"};
	char name[48];
	uint32_t i;
	int ret = 0;

	v->bos = (int32_t)v->n;
	v->eos = v->bos + 1;
	v->eot = v->bos + 2;
	for (i = 0; i < n_special && !ret; i++) {
		if (i < 3)
			snprintf(name, sizeof(name), "%s", names[i]);
		else
			snprintf(name, sizeof(name), "<|reserved_special_token_%u|>", i - 3);
		ret = add_token(v, name, 0.0f, 3 /* control */);
	}
	return ret;
}

static int build_bpe(const struct mk_opts *o, struct learner *l, struct mk_vocab *v)
{
	uint32_t n_special = o->vocab >= 4096 ? 256 : 3, i;
	int ret = 0;
	char *m;

	for (i = 0; i < (uint32_t)l->n_sym && !ret; i++)
		ret = add_token(v, l->sym[i], 0.0f, 1 /* normal */);
	v->merges = calloc((size_t)l->n_merges + 1, sizeof(*v->merges));
	if (ret || !v->merges)
		return -ENOMEM;
	for (i = 0; i < (uint32_t)l->n_merges; i++) {
		m = malloc(strlen(l->sym[l->merges[i][0]]) + strlen(l->sym[l->merges[i][1]]) + 2);
		if (!m)
			return -ENOMEM;
		sprintf(m, "%s %s", l->sym[l->merges[i][0]], l->sym[l->merges[i][1]]);
		v->merges[v->n_merges++] = m;
	}
	ret = add_fillers(v, o->vocab - n_special, "<|unused_%u|>");
	return ret ?: bpe_specials(v, n_special);
}

static int build_spm(const struct mk_opts *o, struct learner *l, struct mk_vocab *v)
{
	char name[8];
	int ret, i;

	ret = add_token(v, "<unk>", 0.0f, 2);
	if (!ret)
		ret = add_token(v, "<s>", 0.0f, 3);
	if (!ret)
		ret = add_token(v, "</s>", 0.0f, 3);
	for (i = 0; i < 256 && !ret; i++) {
		snprintf(name, sizeof(name), "<0x%02X>", i);
		ret = add_token(v, name, 0.0f, 6 /* byte */);
	}
	/* Later merges score lower, so the merge order is the priority. */
	for (i = 0; i < l->n_sym && !ret; i++)
		ret = add_token(v, l->sym[i], -(float)i, 1);
	v->unk = 0;
	v->bos = 1;
	v->eos = 2;
	return ret ?: add_fillers(v, o->vocab, "<unused_%u>");
}

int mk_vocab_build(const struct mk_opts *o, struct mk_vocab *v, char *err, size_t size)
{
	return mk_vocab_learn(o, mk_corpus, strlen(mk_corpus), v, err, size);
}

int mk_vocab_learn(const struct mk_opts *o, const char *text, size_t len, struct mk_vocab *v,
		   char *err, size_t size)
{
	struct learner l = {0};
	uint32_t fixed, base;
	int ret;

	memset(v, 0, sizeof(*v));
	v->bos = v->eos = v->eot = v->unk = -1;
	if (o->tok == MK_TOK_BPE) {
		for (base = 0; base < 256; base++) { /* ids 0..255 are the bytes */
			char ch[3];

			byte_char(base, ch);
			if (sym_get(&l, ch) < 0)
				goto oom;
		}
	}
	ret = load_words(&l, o->tok, text, len);
	if (ret)
		goto oom;
	fixed = o->tok == MK_TOK_BPE ? (o->vocab >= 4096 ? 256 : 3) : 259;
	base = fixed + (uint32_t)l.n_sym;
	if (o->vocab < base) {
		snprintf(err, size, "--vocab %u is too small for this %s vocabulary (at least %u)",
			 o->vocab, o->tok == MK_TOK_BPE ? "bpe" : "spm", base);
		learner_free(&l);
		return -EINVAL;
	}
	v->tokens = calloc(o->vocab, sizeof(*v->tokens));
	v->scores = calloc(o->vocab, sizeof(*v->scores));
	v->types = calloc(o->vocab, sizeof(*v->types));
	if (!v->tokens || !v->scores || !v->types || learn(&l, (int)(o->vocab - base)))
		goto oom;
	ret = o->tok == MK_TOK_BPE ? build_bpe(o, &l, v) : build_spm(o, &l, v);
	learner_free(&l);
	if (ret) {
		mk_vocab_free(v);
		snprintf(err, size, "out of memory");
	}
	return ret;
oom:
	learner_free(&l);
	mk_vocab_free(v);
	snprintf(err, size, "out of memory");
	return -ENOMEM;
}

void mk_vocab_free(struct mk_vocab *v)
{
	uint32_t i;

	if (v->tokens)
		for (i = 0; i < v->n; i++)
			free(v->tokens[i]);
	for (i = 0; i < v->n_merges; i++)
		free(v->merges[i]);
	free(v->tokens);
	free(v->scores);
	free(v->types);
	free(v->merges);
	memset(v, 0, sizeof(*v));
}

int mk_vocab_add(struct lut_gguf_writer *w, const struct mk_opts *o, const struct mk_vocab *v)
{
	const char *const *tok = (const char *const *)v->tokens;
	bool bpe = o->tok == MK_TOK_BPE;
	int ret;

	ret = lut_gguf_writer_add_str(w, "tokenizer.ggml.model", bpe ? "gpt2" : "llama");
	if (!ret)
		ret = lut_gguf_writer_add_str(w, "tokenizer.ggml.pre",
					      bpe ? "llama-bpe" : "default");
	if (!ret)
		ret = lut_gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", tok, NULL, v->n);
	if (!ret && !bpe)
		ret = lut_gguf_writer_add_arr(w, "tokenizer.ggml.scores", LUT_GGUF_FLOAT32,
					      v->scores, v->n);
	if (!ret)
		ret = lut_gguf_writer_add_arr(w, "tokenizer.ggml.token_type", LUT_GGUF_INT32,
					      v->types, v->n);
	if (!ret && bpe)
		ret = lut_gguf_writer_add_arr_str(w, "tokenizer.ggml.merges",
						  (const char *const *)v->merges, NULL,
						  v->n_merges);
	if (!ret)
		ret = lut_gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)v->bos);
	if (!ret)
		ret = lut_gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)v->eos);
	if (!ret && v->eot >= 0)
		ret = lut_gguf_writer_add_u32(w, "tokenizer.ggml.eot_token_id", (uint32_t)v->eot);
	if (!ret && v->unk >= 0)
		ret = lut_gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id",
					      (uint32_t)v->unk);
	if (!ret)
		ret = lut_gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true);
	if (!ret)
		ret = lut_gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", false);
	if (!ret && !bpe)
		ret = lut_gguf_writer_add_bool(w, "tokenizer.ggml.add_space_prefix", true);
	return ret;
}
