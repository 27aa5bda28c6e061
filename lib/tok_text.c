// SPDX-License-Identifier: MIT
/*
 * The tokenizer's text helpers: UTF-8 checking, decoding and encoding, and
 * byte-level BPE's map between bytes and printable characters.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer_priv.h"

/* ---- UTF-8 --------------------------------------------------------------- */

/*
 * Classify s[0..n) (n >= 1) as the start of one UTF-8 character: its length
 * when it is all there and valid, 0 when s is a valid but incomplete
 * prefix, -1 when it is invalid (overlong forms and surrogates included).
 */
int tok_utf8_check(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	int need, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return -1;
	need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i < need; i++) {
		if ((size_t)i >= n)
			return 0;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return -1;
	}
	return need;
}

/* Length of the character at s (1 for an invalid byte). */
size_t tok_char_len(const uint8_t *s, size_t n)
{
	int k = tok_utf8_check(s, n);

	return k > 0 ? (size_t)k : 1;
}

/* The code point at s, and its length; invalid bytes give U+FFFD. */
uint32_t tok_decode_cp(const uint8_t *s, size_t n, size_t *len)
{
	int k = tok_utf8_check(s, n);

	*len = k > 0 ? (size_t)k : 1;
	switch (k) {
	case 1:
		return s[0];
	case 2:
		return (s[0] & 0x1fu) << 6 | (s[1] & 0x3f);
	case 3:
		return (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3f);
	case 4:
		return (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 |
		       (s[3] & 0x3f);
	}
	return 0xfffd;
}

size_t tok_encode_cp(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12); /* the byte-level map stays below 0x10000 */
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* ---- Byte-level BPE's byte <-> character map ----------------------------------- */
/*
 * GPT-2's scheme: bytes that are printable Latin-1 (! .. ~, ¡ .. ¬, ® .. ÿ)
 * stand for themselves; the other 68 bytes are given U+0100 .. U+0143 in
 * byte order, so that every token's text is printable.
 */
static bool byte_is_self(unsigned int b)
{
	return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
}

uint32_t tok_byte_to_cp(unsigned int b)
{
	unsigned int i, k = 0;

	if (byte_is_self(b))
		return b;
	for (i = 0; i < b; i++)
		k += !byte_is_self(i);
	return 0x100 + k;
}

/* The byte a code point stands for, or -1. */
int tok_cp_to_byte(uint32_t cp)
{
	unsigned int b, k = 0;

	if (cp < 0x100)
		return byte_is_self(cp) ? (int)cp : -1;
	for (b = 0; b < 0x100; b++)
		if (!byte_is_self(b) && 0x100 + k++ == cp)
			return (int)b;
	return -1;
}
