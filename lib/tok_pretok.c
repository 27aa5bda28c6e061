// SPDX-License-Identifier: MIT
/*
 * Byte-level BPE's pre-tokenizer: the text is cut into words by GPT-2's or
 * LLaMA 3's rules (their regular expressions are spelled out above each
 * word function) before merges apply within each word.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer_priv.h"

/* ---- Character classes for pre-tokenization ------------------------------------ */
/*
 * Exact for ASCII. Beyond it, a small table of the blocks that hold
 * punctuation, symbols, spaces and digits; every other code point counts
 * as a letter, which keeps words of any script together.
 */
static bool is_space(uint32_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

static bool is_digit(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 0x660 && c <= 0x669) || (c >= 0x6f0 && c <= 0x6f9) ||
	       (c >= 0x966 && c <= 0x96f) || (c >= 0xff10 && c <= 0xff19);
}

static bool is_letter(uint32_t c)
{
	static const uint32_t not_letters[][2] = {
		{0x80, 0xa9},	  {0xab, 0xb4},	    {0xb6, 0xb9},	{0xbb, 0xbf},
		{0xd7, 0xd7},	  {0xf7, 0xf7},	    {0x2000, 0x2bff},	{0x2e00, 0x2e7f},
		{0x3000, 0x303f}, {0xfe30, 0xfe4f}, {0xff00, 0xff20},	{0xff3b, 0xff40},
		{0xff5b, 0xff65}, {0xfffd, 0xfffd}, {0x1f000, 0x1faff},
	};
	size_t i;

	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	if (is_digit(c) || is_space(c))
		return false;
	for (i = 0; i < sizeof(not_letters) / sizeof(not_letters[0]); i++)
		if (c >= not_letters[i][0] && c <= not_letters[i][1])
			return false;
	return true;
}

static bool is_other(uint32_t c)
{
	return !is_space(c) && !is_letter(c) && !is_digit(c);
}

/* ---- Pre-tokenizer (BPE) ----------------------------------------------------- */

struct scan {
	const uint8_t *s;
	size_t n;
};

static uint32_t cp_at(const struct scan *sc, size_t pos, size_t *len)
{
	if (pos >= sc->n) {
		*len = 0;
		return 0;
	}
	return tok_decode_cp(sc->s + pos, sc->n - pos, len);
}

/* End of the run of characters of class cls from pos (at most max of them). */
static size_t run(const struct scan *sc, size_t pos, bool (*cls)(uint32_t), size_t max)
{
	size_t len;

	while (max-- && pos < sc->n && cls(cp_at(sc, pos, &len)))
		pos += len;
	return pos;
}

/* 's 't 're 've 'm 'll 'd; returns the end, or pos when none matches. */
static size_t contraction(const struct scan *sc, size_t pos, bool fold)
{
	static const char *const forms[] = {"s", "t", "re", "ve", "m", "ll", "d"};
	size_t i, k;

	if (sc->s[pos] != '\'')
		return pos;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		for (k = 0; forms[i][k] && pos + 1 + k < sc->n; k++) {
			uint8_t c = sc->s[pos + 1 + k];

			if ((fold && c >= 'A' && c <= 'Z' ? c | 0x20 : c) != (uint8_t)forms[i][k])
				break;
		}
		if (!forms[i][k])
			return pos + 1 + k;
	}
	return pos;
}

static bool is_newline(uint32_t c)
{
	return c == '\r' || c == '\n';
}

/* Whitespace: \s+(?!\S) then \s+ (all but the last space before a word). */
static size_t spaces(const struct scan *sc, size_t pos)
{
	size_t end = pos, last = pos, len;

	while (end < sc->n && is_space(cp_at(sc, end, &len))) {
		last = end;
		end += len;
	}
	if (end < sc->n && last > pos)
		return last;
	return end;
}

/* GPT-2: 's|'t|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t word_gpt2(const struct scan *sc, size_t pos)
{
	size_t k = contraction(sc, pos, false), len, p = pos;
	uint32_t c;

	if (k > pos)
		return k;
	c = cp_at(sc, p, &len);
	if (c == ' ' && pos + 1 < sc->n && !is_space(cp_at(sc, pos + 1, &len)))
		c = cp_at(sc, ++p, &len);
	if (is_letter(c))
		return run(sc, p, is_letter, SIZE_MAX);
	if (is_digit(c))
		return run(sc, p, is_digit, SIZE_MAX);
	if (!is_space(c))
		return run(sc, p, is_other, SIZE_MAX);
	return spaces(sc, pos);
}

static bool not_newline_letter_digit(uint32_t c)
{
	return !is_newline(c) && !is_letter(c) && !is_digit(c);
}

/*
 * LLaMA 3: (?i:'s|'t|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
static size_t word_llama3(const struct scan *sc, size_t pos)
{
	size_t k = contraction(sc, pos, true), len, len2, p, end, nl = 0;
	uint32_t c = cp_at(sc, pos, &len), c2 = cp_at(sc, pos + len, &len2);

	if (k > pos)
		return k;
	if (is_letter(c) || (not_newline_letter_digit(c) && is_letter(c2)))
		return run(sc, is_letter(c) ? pos : pos + len, is_letter, SIZE_MAX);
	if (is_digit(c))
		return run(sc, pos, is_digit, 3);
	p = c == ' ' ? pos + 1 : pos;
	if (p < sc->n && is_other(cp_at(sc, p, &len)))
		return run(sc, run(sc, p, is_other, SIZE_MAX), is_newline, SIZE_MAX);
	for (end = pos; end < sc->n && is_space(c = cp_at(sc, end, &len)); end += len)
		if (is_newline(c))
			nl = end + len;
	return nl ? nl : spaces(sc, pos);
}

size_t tok_pre_word(enum pre pre, const char *s, size_t n, size_t pos)
{
	struct scan sc = {(const uint8_t *)s, n};

	return pre == PRE_LLAMA3 ? word_llama3(&sc, pos) : word_gpt2(&sc, pos);
}
