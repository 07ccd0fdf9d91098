// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
//
// RE2 behind a C interface, for the differential test of polc's regex
// compiler (re2_diff.c): RE2 is what Envoy runs Cilium's HTTP regexes with.
#include <re2/re2.h>

#include <cstring>

extern "C" {

void *re2_shim_new(const char *pattern, size_t len, int icase, int dotnl, int literal,
		   char *msg, size_t msg_len)
{
	RE2::Options opt;

	opt.set_log_errors(false);
	opt.set_case_sensitive(!icase);
	opt.set_dot_nl(dotnl);
	opt.set_literal(literal);
	RE2 *re = new RE2(re2::StringPiece(pattern, len), opt);
	if (!re->ok()) {
		snprintf(msg, msg_len, "%s", re->error().c_str());
		delete re;
		return nullptr;
	}
	return re;
}

int re2_shim_full_match(void *re, const char *s, size_t len)
{
	return RE2::FullMatch(re2::StringPiece(s, len), *static_cast<RE2 *>(re));
}

void re2_shim_free(void *re)
{
	delete static_cast<RE2 *>(re);
}
}
