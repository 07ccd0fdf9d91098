# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# polc: network-policy compiler and loader.
#
#   make            build polc, libpolc and the test tools (installs deps if missing)
#   make demo       compile policies/demo and enforce it on a namespace topology (root)
#   make test       the whole suite: unit, golden, corpus, lint, in-kernel verdicts,
#                   end-to-end traffic, conformance (IPv4 + IPv6), then the
#                   ASan/UBSan build of the suite, then a short fuzz run
#   make bench      per-packet and compile-time benchmarks
#   make install    PREFIX=/usr/local DESTDIR=
#
# Sources are found by wildcard: a new .c file in a stage folder is built
# without touching this file.

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BISON ?= bison
FLEX ?= flex
PKG_CONFIG ?= pkg-config
SANITIZE ?=
V ?= 0

ifeq ($(SANITIZE),1)
BUILD := build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

ifeq ($(V),0)
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
else
Q :=
msg =
endif

# Builds use every core; tests run one after the other (they share the
# machine's timing and namespaces).
NPROC := $(shell nproc 2>/dev/null || echo 2)
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || $(CC) -dumpmachine)
POLC_VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wundef
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) -fPIC \
	-I. -Iruntime/include -Icompiler -Icompiler/tools -I$(BUILD)/gen \
	-DPOLC_VERSION='"$(POLC_VERSION)"' -DPOLC_MULTIARCH='"$(MULTIARCH)"'
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)
LIBS := -lyaml -lbpf -lelf -lz
# libpolc and the compiler library call each other (re-resolution, the
# artifact reader): one link group.
POLC_LIBS = -Wl,--start-group $(RUNTIME_LIB) $(COMPILER_LIB) -Wl,--end-group
CMOCKA_LIBS := -lcmocka

# BPF objects built with polc itself (the entry programs).
BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -I/usr/include/$(MULTIARCH) -Iruntime/include \
	-Ibpf-templates -fdebug-compilation-dir=.

# The shared test data (conformance cases, Cilium corpus, lint cases):
# $POLC_SHARED_DIR, else shared/ beside the checkout, else the copy in
# tests/shared-data. Exported to every test.
POLC_SHARED_DIR ?= $(if $(wildcard $(CURDIR)/../shared/conformance/k8s-netpol/model.yaml),$(abspath $(CURDIR)/../shared),$(CURDIR)/tests/shared-data)
export POLC_SHARED_DIR

# ---- sources --------------------------------------------------------------

COMPILER_SRCS := $(sort $(wildcard compiler/util/*.c compiler/frontend/*.c compiler/ir/*.c \
	compiler/passes/*.c compiler/codegen/*.c compiler/analysis/*.c compiler/driver/*.c))
GRAMMAR_Y := $(sort $(wildcard grammar/*.y))
GRAMMAR_L := $(sort $(wildcard grammar/*.l))
GRAMMAR_GEN_C := $(patsubst grammar/%.y,$(BUILD)/gen/grammar/%.tab.c,$(GRAMMAR_Y)) \
	$(patsubst grammar/%.l,$(BUILD)/gen/grammar/%.lex.c,$(GRAMMAR_L))
GRAMMAR_GEN_H := $(patsubst grammar/%.y,$(BUILD)/gen/grammar/%.tab.h,$(GRAMMAR_Y)) \
	$(patsubst grammar/%.l,$(BUILD)/gen/grammar/%.lex.h,$(GRAMMAR_L))
GRAMMAR_SRCS := $(sort $(wildcard grammar/*.c))
RUNTIME_SRCS := $(sort $(wildcard runtime/*.c loader/*.c))
CLI_SRCS := $(sort $(wildcard compiler/cli/*.c))

TEMPLATE_FILES := $(sort $(wildcard bpf-templates/*.h bpf-templates/*.bpf.c)) runtime/include/polc/layout.h
ENTRY_SRCS := $(sort $(wildcard bpf-templates/entry/*.bpf.c))
ENTRY_OBJS := $(patsubst bpf-templates/entry/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(ENTRY_SRCS))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMPILER_OBJS := $(call obj,$(COMPILER_SRCS) $(GRAMMAR_SRCS)) \
	$(patsubst %.c,%.o,$(GRAMMAR_GEN_C)) $(BUILD)/gen/templates.o
RUNTIME_OBJS := $(call obj,$(RUNTIME_SRCS)) $(BUILD)/gen/entry_objects.o
CLI_OBJS := $(call obj,$(CLI_SRCS))

COMPILER_LIB := $(BUILD)/libpolc-compiler.a
RUNTIME_LIB := $(BUILD)/libpolc.a
RUNTIME_SO := $(BUILD)/libpolc.so
# What make install ships: the ABI is runtime/libpolc.map; the static
# archive is one object with every other symbol made local.
LIBPOLC_MAP := runtime/libpolc.map
DIST_LIB := $(BUILD)/dist/libpolc.a
MAN_PAGES := $(sort $(wildcard runtime/man/*.[0-9]))
POLC := $(BUILD)/polc
EMBED := $(BUILD)/tools/embed

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TOOL_SRCS))
VERDICT_SRCS := $(sort $(wildcard tests/verdict/*.c))
VERDICT_BIN := $(BUILD)/tests/verdict/verdict
# The verdict helpers (packets, netns, object runner): all but main and the tests.
VERDICT_LIB_SRCS := $(filter-out tests/verdict/test_%.c tests/verdict/verdict.c,$(VERDICT_SRCS))
BENCH_SRCS := $(sort $(filter-out %.bpf.c,$(wildcard tests/bench/*.c)))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(BENCH_SRCS))
BENCH_LIB_SRCS := $(sort $(wildcard tests/bench/lib/*.c))
# BPF objects of the tests, embedded in the test binaries as polc_test_objects:
# gen_NAME.bpf.o is bpf-templates/datapath.bpf.c built with
# tests/verdict/fixtures/NAME/polc_gen.h; tests/bench/*.bpf.c are the benchmarks' own.
TEST_FIXTURES := $(sort $(wildcard tests/verdict/fixtures/*/polc_gen.h))
TEST_BPF_OBJS := $(patsubst tests/verdict/fixtures/%/polc_gen.h,$(BUILD)/tests/bpf/gen_%.bpf.o,$(TEST_FIXTURES)) \
	$(patsubst tests/bench/%.bpf.c,$(BUILD)/tests/bpf/bench/%.bpf.o,$(sort $(wildcard tests/bench/*.bpf.c)))
TEST_OBJECTS := $(BUILD)/gen/test_objects.o
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

# Loader tests: fixture generations (one source, variants by -D), embedded
# so unit tests need no files; test artifacts are built from them at run
# time by tests/loader/testart.c.
LOADER_FIXTURE_SRC := tests/loader/fixtures/gen.bpf.c
LOADER_FIXTURES := pass drop broken bss nostate badlayout
LOADER_FIXTURE_OBJS := $(patsubst %,$(BUILD)/tests/loader/fixtures/%.bpf.o,$(LOADER_FIXTURES))
fixture_flags_pass := -DFIXTURE_DEFAULT=TC_ACT_OK
fixture_flags_drop := -DFIXTURE_DEFAULT=TC_ACT_SHOT
fixture_flags_broken := -DFIXTURE_BROKEN
fixture_flags_bss := -DFIXTURE_BSS
fixture_flags_nostate := -DFIXTURE_NO_STATE
fixture_flags_badlayout := -DFIXTURE_BAD_LAYOUT
LOADER_TEST_OBJS := $(call obj,tests/loader/testart.c) $(BUILD)/gen/test_fixtures.o
LOADER_TOOL := $(BUILD)/tests/loader/polc-loadtest

.PHONY: all deps polc demo test check check-sanitize bench fuzz fuzz-smoke install clean \
	test-abi test-unit test-golden test-corpus test-lint test-verdict test-verdict-combos test-e2e \
	test-conformance test-re2

all: deps-check $(POLC) $(RUNTIME_SO) $(DIST_LIB) $(UNIT_BINS) $(TOOL_BINS) $(LOADER_TOOL) $(if $(VERDICT_SRCS),$(VERDICT_BIN)) $(BENCH_BINS)

polc: $(POLC)

# ---- dependencies ---------------------------------------------------------

# Installs missing Debian packages (as root); a no-op when all are present.
deps:
	$(Q)tests/lib/install-deps.sh

deps-check:
	$(Q)tests/lib/install-deps.sh --quiet

.PHONY: deps-check

# ---- generated sources ----------------------------------------------------

$(EMBED): compiler/tools/embed.c
	$(call msg,HOSTCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -std=c17 -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/gen/templates.c: $(TEMPLATE_FILES) $(EMBED)
	$(call msg,EMBED,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(EMBED) $@ polc_bpf_templates $(TEMPLATE_FILES)

$(BUILD)/bpf/%.bpf.o: bpf-templates/entry/%.bpf.c $(TEMPLATE_FILES)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ && rm -f $@.tmp

$(BUILD)/gen/entry_objects.c: $(ENTRY_OBJS) $(EMBED)
	$(call msg,EMBED,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(EMBED) $@ polc_entry_objects $(ENTRY_OBJS)

$(BUILD)/gen/grammar/%.tab.c $(BUILD)/gen/grammar/%.tab.h: grammar/%.y
	$(call msg,BISON,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(BISON) -Wall -Werror --defines=$(BUILD)/gen/grammar/$*.tab.h -o $(BUILD)/gen/grammar/$*.tab.c $<

$(BUILD)/gen/grammar/%.lex.c $(BUILD)/gen/grammar/%.lex.h: grammar/%.l $(BUILD)/gen/grammar/%.tab.h
	$(call msg,FLEX,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FLEX) --header-file=$(BUILD)/gen/grammar/$*.lex.h -o $(BUILD)/gen/grammar/$*.lex.c $<

# ---- objects and libraries ------------------------------------------------

$(BUILD)/obj/%.o: %.c $(GRAMMAR_GEN_H)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# Generated C: flex/bison output is not held to our warning set.
$(BUILD)/gen/%.o: $(BUILD)/gen/%.c $(GRAMMAR_GEN_H)
	$(call msg,CC,$<)
	$(Q)$(CC) $(filter-out -Werror -Wshadow -Wmissing-prototypes -Wundef,$(ALL_CFLAGS)) \
		-Wno-unused-function -Wno-sign-compare -Igrammar -MMD -MP -c $< -o $@

$(COMPILER_LIB): $(COMPILER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(RUNTIME_LIB): $(RUNTIME_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(RUNTIME_SO): $(RUNTIME_OBJS) $(COMPILER_LIB) $(LIBPOLC_MAP)
	$(call msg,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,libpolc.so.0 -Wl,--version-script=$(LIBPOLC_MAP) -Wl,--no-undefined \
		$(ALL_LDFLAGS) -o $@ $(RUNTIME_OBJS) $(COMPILER_LIB) $(LIBS)

$(BUILD)/dist/libpolc.syms: $(LIBPOLC_MAP)
	$(Q)mkdir -p $(dir $@)
	$(Q)sed -n 's/^[[:space:]]*\(polc_[a-z0-9_]*\);$$/\1/p' $< >$@

$(DIST_LIB): $(RUNTIME_OBJS) $(COMPILER_OBJS) $(BUILD)/dist/libpolc.syms
	$(call msg,AR,$@)
	$(Q)$(LD) -r -o $(BUILD)/dist/libpolc-all.o $(RUNTIME_OBJS) $(COMPILER_OBJS)
	$(Q)objcopy --keep-global-symbols=$(BUILD)/dist/libpolc.syms $(BUILD)/dist/libpolc-all.o $(BUILD)/dist/libpolc.o
	$(Q)rm -f $@ && ar rcs $@ $(BUILD)/dist/libpolc.o

$(POLC): $(CLI_OBJS) $(RUNTIME_LIB) $(COMPILER_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(POLC_LIBS) $(LIBS)

# ---- tests ----------------------------------------------------------------

# Loader tests: fixture generations, embedded (see LOADER_FIXTURES above).

$(BUILD)/tests/loader/fixtures/%.bpf.o: $(LOADER_FIXTURE_SRC) $(TEMPLATE_FILES)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(fixture_flags_$*) -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ && rm -f $@.tmp

$(BUILD)/gen/test_fixtures.c: $(LOADER_FIXTURE_OBJS) $(EMBED)
	$(call msg,EMBED,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(EMBED) $@ polc_test_fixtures $(LOADER_FIXTURE_OBJS)

$(LOADER_TOOL): tests/loader/loadtest.c $(LOADER_TEST_OBJS) $(RUNTIME_LIB) $(COMPILER_LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/loader -o $@ $< $(LOADER_TEST_OBJS) $(POLC_LIBS) $(LIBS) $(ALL_LDFLAGS)

# Loader unit tests also get the test artifacts (the more specific pattern wins).
$(BUILD)/tests/unit/test_loader_%: tests/unit/test_loader_%.c $(LOADER_TEST_OBJS) $(RUNTIME_LIB) $(COMPILER_LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -Itests/loader -o $@ $< $(LOADER_TEST_OBJS) $(POLC_LIBS) $(LIBS) $(CMOCKA_LIBS) $(ALL_LDFLAGS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(RUNTIME_LIB) $(COMPILER_LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(POLC_LIBS) $(LIBS) $(CMOCKA_LIBS) $(ALL_LDFLAGS)

$(BUILD)/tests/tools/%: tests/tools/%.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)

$(BUILD)/tests/bpf/gen_%.bpf.o: tests/verdict/fixtures/%/polc_gen.h $(TEMPLATE_FILES)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Itests/verdict/fixtures/$* -c bpf-templates/datapath.bpf.c -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ && rm -f $@.tmp

$(BUILD)/tests/bpf/bench/%.bpf.o: tests/bench/%.bpf.c $(TEMPLATE_FILES)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ && rm -f $@.tmp

$(BUILD)/gen/test_objects.c: $(TEST_BPF_OBJS) $(EMBED)
	$(call msg,EMBED,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(EMBED) $@ polc_test_objects $(TEST_BPF_OBJS)

$(VERDICT_BIN): $(VERDICT_SRCS) $(wildcard tests/verdict/*.h) $(TEST_OBJECTS) $(RUNTIME_LIB) $(COMPILER_LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/verdict -o $@ $(VERDICT_SRCS) $(TEST_OBJECTS) $(POLC_LIBS) $(LIBS) $(CMOCKA_LIBS) $(ALL_LDFLAGS)

$(BUILD)/tests/bench/%: tests/bench/%.c $(BENCH_LIB_SRCS) $(VERDICT_LIB_SRCS) $(wildcard tests/verdict/*.h tests/bench/lib/*.h) \
		$(TEST_OBJECTS) $(RUNTIME_LIB) $(COMPILER_LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/verdict -Itests/bench/lib -o $@ $< $(BENCH_LIB_SRCS) $(VERDICT_LIB_SRCS) \
		$(TEST_OBJECTS) $(POLC_LIBS) $(LIBS) $(ALL_LDFLAGS)

# libFuzzer targets: the compiler and runtime sources built again by clang
# with coverage, ASan and UBSan (tests/fuzz/fuzz_*.c, dictionaries beside
# them): make fuzz && build/fuzz/fuzz_regex -dict=tests/fuzz/regex.dict DIR
# The sources are compiled once (fuzzer-no-link) and shared by every target.
FUZZ_LINK_SRCS = $(COMPILER_SRCS) $(GRAMMAR_SRCS) $(GRAMMAR_GEN_C) $(BUILD)/gen/templates.c \
	$(RUNTIME_SRCS) $(BUILD)/gen/entry_objects.c
FUZZ_OBJS = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_LINK_SRCS))
FUZZ_CFLAGS = $(filter-out -Werror $(SAN_FLAGS),$(ALL_CFLAGS)) -Wno-unused-function -Wno-format-nonliteral \
	-fsanitize=fuzzer-no-link,address,undefined -Itests/unit -Igrammar

fuzz: $(FUZZ_BINS)

$(FUZZ_OBJS): $(BUILD)/fuzz/obj/%.o: %.c $(GRAMMAR_GEN_H)
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LIBS)

# A short run of every fuzz target from its seed corpus (tests/fuzz/corpus/),
# part of make test: FUZZ_SMOKE_SECONDS each, new inputs kept out of the tree.
FUZZ_SMOKE_SECONDS ?= 5
fuzz-smoke: $(FUZZ_BINS)
	$(Q)tests/fuzz/smoke.sh $(BUILD) $(FUZZ_SMOKE_SECONDS)

test-unit: all
	$(Q)tests/lib/run-unit.sh $(BUILD)

# The regex compiler against RE2, which Envoy runs Cilium's HTTP regexes with.
test-re2: all
	$(Q)tests/re2/run.sh $(BUILD)

test-golden: all
	$(Q)tests/golden/run.sh $(POLC)

test-corpus: all
	$(Q)tests/corpus/run.sh $(POLC)

test-lint: all
	$(Q)tests/lint/run.sh $(POLC)

test-verdict: all
	$(Q)$(VERDICT_BIN)

# Every combination of the polc_gen.h switches through clang and the verifier (slow: minutes).
test-verdict-combos: all
	$(Q)tests/verdict/combos.sh $(BUILD)

test-e2e: all
	$(Q)tests/e2e/run.sh $(BUILD)

# The same cases again, every NetworkPolicy re-expressed as a CiliumNetworkPolicy.
# Every case over IPv4 and IPv6; the same cases as CiliumNetworkPolicies over
# IPv4 (CONFORMANCE_CILIUM_FAMILIES="4 6" for both).
CONFORMANCE_CILIUM_FAMILIES ?= 4
test-conformance: all
	$(Q)/usr/bin/python3 tests/conformance/run.py --build $(BUILD)
	$(Q)for f in $(CONFORMANCE_CILIUM_FAMILIES); do \
		/usr/bin/python3 tests/conformance/run.py --build $(BUILD) --as-cilium --family $$f || exit 1; done

# libpolc exports exactly its public API (runtime/libpolc.map).
test-abi: all
	$(Q)tests/lib/check-exports.sh runtime/include/polc $(LIBPOLC_MAP) $(RUNTIME_SO) $(DIST_LIB)

# Everything, with the normal build.
check: test-abi test-unit test-re2 test-golden test-corpus test-lint test-verdict test-e2e test-conformance

# The suite that does not need traffic, under ASan and UBSan.
check-sanitize:
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) SANITIZE=1 all
	$(Q)POLC_CORPUS_CHECK_ONLY=1 $(MAKE) --no-print-directory SANITIZE=1 test-unit test-re2 test-golden \
		test-corpus test-lint test-verdict

test: deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all
	$(Q)$(MAKE) --no-print-directory check
	$(Q)$(MAKE) --no-print-directory check-sanitize
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) fuzz
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	@echo "polc: all tests passed"

bench: deps all
	$(Q)tests/bench/run.sh $(BUILD)

demo: deps all
	$(Q)policies/demo/run.sh $(BUILD)

# ---- install --------------------------------------------------------------

# Only built things are installed: run make first if you install as another user.
install: $(POLC) $(RUNTIME_SO) $(DIST_LIB)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/polc \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(POLC) $(DESTDIR)$(PREFIX)/bin/polc
	install -m 0644 $(DIST_LIB) $(DESTDIR)$(PREFIX)/lib/libpolc.a
	install -m 0755 $(RUNTIME_SO) $(DESTDIR)$(PREFIX)/lib/libpolc.so.0
	ln -sf libpolc.so.0 $(DESTDIR)$(PREFIX)/lib/libpolc.so
	install -m 0644 runtime/include/polc/*.h $(DESTDIR)$(PREFIX)/include/polc/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(POLC_VERSION)|g' runtime/libpolc.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/libpolc.pc
	for m in $(MAN_PAGES); do install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/; done

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj $(BUILD)/gen -name '*.d' 2>/dev/null)
