/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Using a built DFA in user space: the reference walk the datapath must
 * agree with, equality of canonical tables, and the --dump=dfa text.
 */
#include <string.h>

#include "grammar/regex.h"

uint32_t dfa_walk(const struct dfa *dfa, uint32_t state, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n && !(dfa->flags[state] & DFA_STATE_SINK); i++)
		state = dfa->next[(size_t)state * dfa->n_classes + dfa->class_of[s[i]]];
	return state;
}

uint32_t dfa_match(const struct dfa *dfa, const uint8_t *s, size_t n)
{
	return dfa->accept_of[dfa_walk(dfa, dfa->start, s, n)];
}

bool dfa_set_has(const struct dfa *dfa, uint32_t set, uint32_t regex)
{
	if (set >= dfa->n_accept_sets || regex >= dfa->n_regexes)
		return false;
	return dfa->accept_sets[(size_t)set * dfa->accept_words + regex / 64] >> (regex % 64) & 1;
}

bool dfa_equal(const struct dfa *a, const struct dfa *b)
{
	if (a->n_states != b->n_states || a->n_classes != b->n_classes || a->start != b->start ||
	    a->n_regexes != b->n_regexes || a->accept_words != b->accept_words ||
	    a->n_accept_sets != b->n_accept_sets ||
	    memcmp(a->class_of, b->class_of, sizeof(a->class_of)))
		return false;
	return !memcmp(a->next, b->next, (size_t)a->n_states * a->n_classes * sizeof(*a->next)) &&
	       !memcmp(a->accept_of, b->accept_of, a->n_states * sizeof(*a->accept_of)) &&
	       !memcmp(a->accept_sets, b->accept_sets,
		       (size_t)a->n_accept_sets * a->accept_words * sizeof(*a->accept_sets)) &&
	       !memcmp(a->flags, b->flags, a->n_states);
}

unsigned dfa_state_width(const struct dfa *dfa)
{
	if (dfa->n_states <= 0x100)
		return 1;
	return dfa->n_states <= 0x10000 ? 2 : 4;
}

/* ---- dump ---------------------------------------------------------------- */

static void dump_byte(struct strbuf *sb, unsigned b)
{
	if (b > 0x20 && b < 0x7f && b != '\\' && b != '-' && b != ',')
		strbuf_putc(sb, (char)b);
	else
		strbuf_printf(sb, "\\x%02x", b);
}

static void dump_class(const struct dfa *dfa, uint32_t c, struct strbuf *sb)
{
	bool first = true;

	for (unsigned b = 0; b < 256; b++) {
		unsigned e = b;

		if (dfa->class_of[b] != c)
			continue;
		while (e + 1 < 256 && dfa->class_of[e + 1] == c)
			e++;
		if (!first)
			strbuf_putc(sb, ' ');
		first = false;
		dump_byte(sb, b);
		if (e != b) {
			strbuf_putc(sb, '-');
			dump_byte(sb, e);
		}
		b = e;
	}
}

static void dump_set(const struct dfa *dfa, uint32_t set, struct strbuf *sb)
{
	bool first = true;

	strbuf_putc(sb, '{');
	for (uint32_t r = 0; r < dfa->n_regexes; r++) {
		if (!dfa_set_has(dfa, set, r))
			continue;
		strbuf_printf(sb, first ? "%u" : ",%u", r);
		first = false;
	}
	strbuf_putc(sb, '}');
}

/*
 *   dfa: 4 states x 3 classes, start 1, 1 regex, 2 accept sets
 *   class 0: \x00-. 0-\xff
 *   class 1: /
 *   state 0: dead
 *   state 1: start; 1->2
 *   state 2: accept {0}; 0->2 1->3
 *
 * Transitions to the dead state are left out; classes with the same
 * target are listed together (1,2->3).
 */
void dfa_dump(const struct dfa *dfa, struct strbuf *sb)
{
	strbuf_printf(sb, "dfa: %u states x %u classes, start %u, %u regex%s, %u accept sets\n",
		      dfa->n_states, dfa->n_classes, dfa->start, dfa->n_regexes,
		      dfa->n_regexes == 1 ? "" : "es", dfa->n_accept_sets);
	for (uint32_t c = 0; c < dfa->n_classes; c++) {
		strbuf_printf(sb, "class %u: ", c);
		dump_class(dfa, c, sb);
		strbuf_putc(sb, '\n');
	}
	for (uint32_t s = 0; s < dfa->n_states; s++) {
		const uint32_t *row = dfa->next + (size_t)s * dfa->n_classes;
		const char *sep = "; ";

		strbuf_printf(sb, "state %u:", s);
		if (s == DFA_DEAD_STATE) {
			strbuf_puts(sb, " dead\n");
			continue;
		}
		if (s == dfa->start)
			strbuf_puts(sb, " start");
		if (dfa->accept_of[s]) {
			strbuf_puts(sb, s == dfa->start ? ", accept " : " accept ");
			dump_set(dfa, dfa->accept_of[s], sb);
		}
		if (dfa->flags[s] & DFA_STATE_SINK) {
			strbuf_puts(sb, s == dfa->start || dfa->accept_of[s] ? ", sink" : " sink");
			strbuf_putc(sb, '\n');
			continue;
		}
		if (s != dfa->start && !dfa->accept_of[s])
			sep = " ";
		/* group classes by target, targets in order of first class */
		for (uint32_t c = 0; c < dfa->n_classes; c++) {
			bool seen = false;

			if (row[c] == DFA_DEAD_STATE)
				continue;
			for (uint32_t d = 0; d < c && !seen; d++)
				seen = row[d] == row[c];
			if (seen)
				continue;
			strbuf_printf(sb, "%s%u", sep, c);
			for (uint32_t d = c + 1; d < dfa->n_classes; d++)
				if (row[d] == row[c])
					strbuf_printf(sb, ",%u", d);
			strbuf_printf(sb, "->%u", row[c]);
			sep = " ";
		}
		strbuf_putc(sb, '\n');
	}
	for (uint32_t a = 1; a < dfa->n_accept_sets; a++) {
		strbuf_printf(sb, "accept set %u: ", a);
		dump_set(dfa, a, sb);
		strbuf_putc(sb, '\n');
	}
}
