/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer target for polc lint's checks: bytes -> front end in lint
 * mode -> passes -> every check of analysis/lint.h (which also re-reads
 * the YAML for positions). The checks run on whatever the front end
 * accepted, policies and inventory from the same bytes; any crash,
 * sanitizer report, leak or hang is a bug.
 *
 *   make fuzz && build/fuzz/fuzz_lint -dict=tests/fuzz/frontend.dict tests/fuzz/corpus/lint
 */
#include <stddef.h>
#include <stdint.h>

#include "analysis/lint.h"
#include "driver/driver.h"
#include "frontend/frontend.h"
#include "passes/passes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_new();
	if (!arena)
		return 0;
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog;
	struct ir_datapath dp = {0};
	struct frontend fe;
	source_set_init(&sources, arena);
	diag_sink_init(&diags, arena, &sources);
	ir_program_init(&prog, arena);
	struct frontend_options opts = {.mode = FRONTEND_LINT};
	frontend_init(&fe, &prog, &diags, &sources, &opts);
	int id = source_add_buffer(&sources, "fuzz.yaml", (const char *)data, size);
	int err = id > 0 ? frontend_load_file(&fe, (uint32_t)id) : -ENOMEM;
	if (err != -ENOMEM && !frontend_finish(&fe) && !diag_has_errors(&diags)) {
		err = driver_run_passes(arena, &diags, &prog, &dp);
		if (!err) {
			struct lint_input in = {
				.arena = arena, .diags = &diags, .sources = &sources, .prog = &prog, .dp = &dp,
				.inert = fe.inert.items, .n_inert = fe.inert.len,
			};
			lint_run(&in);
		}
	}
	arena_free(arena);
	return 0;
}
