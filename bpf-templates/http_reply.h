/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the client of a refused HTTP request is told: "HTTP/1.1 403
 * Forbidden", what Cilium's Envoy answers, with "connection: close" and
 * FIN, since polc closes the connection. It travels as the payload of
 * tcp_reply.h's answer to the refused segment (http.h decides between
 * it and a reset). Only compiled with HTTP rules.
 */
#ifndef POLC_BPF_HTTP_REPLY_H
#define POLC_BPF_HTTP_REPLY_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "http_tables.h"
#include "parse.h"
#include "tcp_reply.h"
#include "verifier.h"

/* Aligned, and its size a whole number of words: copied and summed as words. */
#define POLC_HTTP_403_LEN 106
static const char polc_http_403[108] POLC_RODATA __attribute__((aligned(8))) = "HTTP/1.1 403 Forbidden\r\n"
									  "content-length: 15\r\n"
									  "content-type: text/plain\r\n"
									  "connection: close\r\n"
									  "\r\n"
									  "Access denied\r\n";

_Static_assert(sizeof("HTTP/1.1 403 Forbidden\r\ncontent-length: 15\r\ncontent-type: text/plain\r\n"
		      "connection: close\r\n\r\nAccess denied\r\n") == POLC_HTTP_403_LEN + 1,
	       "403 length");
_Static_assert(sizeof(polc_http_403) <= POLC_TCP_REPLY_MAX, "the 403 fits an answer");

/*
 * The 403, put where polc_tcp_reply() takes its payload: the flags of
 * the client's answer that carries it, or 0 (no scratch map).
 */
static __always_inline __u32 polc_http_403_answer(void)
{
	struct polc_tcp_tx *x = polc_tcp_tx();

	if (!x)
		return 0;
	__builtin_memcpy(x->payload, polc_http_403, sizeof(polc_http_403));
	return POLC_TCP_ACK | POLC_TCP_PSH | POLC_TCP_FIN | POLC_TCP_REPLY_PAYLOAD(POLC_HTTP_403_LEN);
}

#endif
