/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer target for the whole front end: bytes -> YAML loader ->
 * dispatch -> NetworkPolicy / inventory loaders -> finish. Any crash,
 * sanitizer report, leak or hang is a bug; diagnostics are the expected
 * outcome for most inputs.
 *
 * Build with clang -fsanitize=fuzzer,address,undefined -Icompiler, this file,
 * every .c file of compiler/frontend and compiler/util, compiler/ir/ir.c
 * and -lyaml; run with -dict=tests/fuzz/frontend.dict -max_len=65536 on a
 * corpus seeded from the shared lint cases and conformance policies.
 */
#include <stddef.h>
#include <stdint.h>

#include "frontend/frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_new();
	if (!arena)
		return 0;
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog;
	struct frontend fe;
	source_set_init(&sources, arena);
	diag_sink_init(&diags, arena, &sources);
	ir_program_init(&prog, arena);
	frontend_init(&fe, &prog, &diags, &sources, NULL);
	int id = source_add_buffer(&sources, "fuzz.yaml", (const char *)data, size);
	if (id > 0 && frontend_load_file(&fe, (uint32_t)id) != -ENOMEM) {
		frontend_finish(&fe);
		frontend_require_policy(&fe);
	}
	arena_free(arena);
	return 0;
}
