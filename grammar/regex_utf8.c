/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * UTF-8 for the regex compiler: decoding the pattern, and turning a set of
 * code points into the byte-range sequences that match exactly the UTF-8
 * encodings of its members (RE2's rune-range compilation). The sequences
 * exclude surrogates and overlong forms, so classes never match invalid
 * UTF-8.
 */
#include <errno.h>

#include "grammar/regex_int.h"

unsigned regex_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	unsigned len;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (unsigned i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > REGEX_CP_MAX || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

unsigned regex_utf8_encode(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

static uint32_t utf8_max_of_len(unsigned len)
{
	static const uint32_t max[] = {0, 0x7f, 0x7ff, 0xffff, REGEX_CP_MAX};

	return max[len];
}

/*
 * [lo, hi] with encodings of one length, split until every piece is a
 * product of byte ranges: pieces agree on their leading bytes and cover
 * whole blocks of continuation bytes below the point where they differ.
 */
static int utf8_split(uint32_t lo, uint32_t hi, int (*fn)(const struct utf8_seq *, void *),
		      void *arg)
{
	struct utf8_seq seq;
	uint8_t a[4], b[4];
	int err;

	if (hi < 0x80) {
		seq = (struct utf8_seq){.len = 1, .lo = {lo}, .hi = {hi}};
		return fn(&seq, arg);
	}
	for (unsigned i = 1; i < 4; i++) {
		uint32_t m = (1u << (6 * i)) - 1;

		if ((lo & ~m) == (hi & ~m))
			continue;
		if (lo & m) {
			err = utf8_split(lo, lo | m, fn, arg);
			return err ?: utf8_split((lo | m) + 1, hi, fn, arg);
		}
		if ((hi & m) != m) {
			err = utf8_split(lo, (hi & ~m) - 1, fn, arg);
			return err ?: utf8_split(hi & ~m, hi, fn, arg);
		}
	}
	seq.len = regex_utf8_encode(lo, a);
	regex_utf8_encode(hi, b);
	for (unsigned i = 0; i < seq.len; i++) {
		seq.lo[i] = a[i];
		seq.hi[i] = b[i];
	}
	return fn(&seq, arg);
}

static int utf8_range(uint32_t lo, uint32_t hi, int (*fn)(const struct utf8_seq *, void *),
		      void *arg)
{
	int err;

	/* surrogates have no valid encoding */
	if (lo <= 0xdfff && hi >= 0xd800) {
		err = lo < 0xd800 ? utf8_range(lo, 0xd7ff, fn, arg) : 0;
		return err ?: hi > 0xdfff ? utf8_range(0xe000, hi, fn, arg) : 0;
	}
	for (unsigned len = 1; len < 4; len++) {
		uint32_t max = utf8_max_of_len(len);

		if (lo <= max && max < hi) {
			err = utf8_range(lo, max, fn, arg);
			return err ?: utf8_range(max + 1, hi, fn, arg);
		}
	}
	return utf8_split(lo, hi, fn, arg);
}

int utf8_sequences(const struct regex_range *ranges, uint32_t n,
		   int (*fn)(const struct utf8_seq *seq, void *arg), void *arg)
{
	for (uint32_t i = 0; i < n; i++) {
		int err = utf8_range(ranges[i].lo, ranges[i].hi, fn, arg);

		if (err)
			return err;
	}
	return 0;
}
