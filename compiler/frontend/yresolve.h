/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What a plain YAML scalar means, resolved exactly as go-yaml v2 does
 * (gopkg.in/yaml.v2 resolve.go, used through sigs.k8s.io/yaml by kubectl
 * and the API server). That is YAML 1.1 with Go's number syntax:
 *
 *   null   ""  ~  null Null NULL
 *   bool   y Y yes Yes YES n N no No NO true True TRUE false False FALSE
 *          on On ON off Off OFF
 *   int    strconv.ParseInt(s without '_', base 0): 42 -7 +7 0x1F 0o17
 *          017 (octal 15) 0b101 1_000; then ParseUint for 2^63..2^64-1
 *   float  [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  after
 *          removing '_', and .inf .nan forms
 *   string everything else. go-yaml v2 does not implement YAML 1.1's
 *          sexagesimal numbers (1:30) or timestamps for untyped values:
 *          both stay strings, as kubectl sees them.
 *
 * The front end uses the details (the notation of an integer, whether it
 * had underscores) to refuse numbers that other YAML readers would read
 * differently, such as 0110 (YAML 1.1: 72, YAML 1.2: 110).
 */
#ifndef POLC_FRONTEND_YRESOLVE_H
#define POLC_FRONTEND_YRESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yaml.h"

enum yint_notation {
	YINT_DECIMAL,      /* 42, -7, +7, 0 */
	YINT_LEADING_ZERO, /* 017: octal in YAML 1.1 and Go, decimal in YAML 1.2 */
	YINT_OCTAL,        /* 0o17 */
	YINT_HEX,          /* 0x1F */
	YINT_BINARY,       /* 0b101 */
};

struct yresolved {
	enum yscalar_type type;
	bool boolean; /* YTYPE_BOOL */
	/* YTYPE_INT: value = negative ? -magnitude : magnitude */
	bool negative;
	uint64_t magnitude;
	enum yint_notation notation;
	bool underscores;
	double real; /* YTYPE_FLOAT */
};

/* Resolve the text of a plain scalar (not NUL-terminated). out may be NULL. */
enum yscalar_type yresolve_plain(const char *s, size_t len, struct yresolved *out);

/*
 * The value a YAML 1.2 (core schema) reader sees in the digits of a
 * YAML 1.1 leading-zero integer such as 0110 (110), if they are all
 * decimal digits and fit; false otherwise.
 */
bool yresolve_yaml12_decimal(const char *s, size_t len, int64_t *out);

#endif
