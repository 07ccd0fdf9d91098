/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The clang driver. polc carries its templates inside the binary; for
 * each compilation it writes them and the generated header into a
 * private directory and builds there with relative paths and
 * -fdebug-compilation-dir=., then strips DWARF (BTF and its line info
 * stay, for the verifier's messages). No absolute path, time stamp or
 * temporary name reaches the object, so identical input gives an
 * identical artifact.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen.h"
#include "embedded.h"

#define GEN_HEADER "polc_gen.h"
#define GEN_SOURCE "datapath.bpf.c"
#define GEN_OBJECT "gen.o"
#define GEN_STRIPPED "gen.stripped.o"

/* Where an embedded file lives relative to the build directory. */
static const char *template_path(const char *name, char *buf, size_t size)
{
	if (strcmp(name, "layout.h") == 0 || strcmp(name, "artifact.h") == 0)
		snprintf(buf, size, "polc/%s", name);
	else
		snprintf(buf, size, "%s", name);
	return buf;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_file(const char *dir, const char *rel, const void *data, size_t size)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	char *slash = strrchr(path, '/');
	*slash = '\0';
	int err = mkdir_p(path);
	*slash = '/';
	if (err)
		return err;
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	size_t n = size ? fwrite(data, 1, size, f) : 0;
	int close_err = fclose(f);
	if (n != size || close_err != 0)
		return -EIO;
	return 0;
}

static int write_sources(const char *dir, const struct strbuf *header)
{
	char rel[PATH_MAX];
	for (const struct embedded_file *t = polc_bpf_templates; t->name; t++) {
		int err = write_file(dir, template_path(t->name, rel, sizeof(rel)), t->data, t->size);
		if (err)
			return err;
	}
	return write_file(dir, GEN_HEADER, header->data, header->len);
}

static const char *tool(const char *given, const char *env, const char *fallback)
{
	if (given)
		return given;
	const char *v = getenv(env);
	return v && *v ? v : fallback;
}

/* Run argv in dir; stderr and stdout collected into *output. Exit status or -errno. */
static int run_in(const char *dir, char *const argv[], struct strbuf *output)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		if (chdir(dir) != 0)
			_exit(126);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	char buf[4096];
	ssize_t n;
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			strbuf_append(output, buf, (size_t)n);
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int read_file(const char *dir, const char *rel, void **out, size_t *out_size)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_append(&sb, buf, n);
	int err = ferror(f) ? -EIO : strbuf_error(&sb);
	fclose(f);
	if (err) {
		strbuf_free(&sb);
		return err;
	}
	*out = sb.data;
	*out_size = sb.len;
	return 0;
}

static void remove_tree(const char *dir)
{
	char path[2 * PATH_MAX + 2], rel[PATH_MAX];
	for (const struct embedded_file *t = polc_bpf_templates; t->name; t++) {
		snprintf(path, sizeof(path), "%s/%s", dir, template_path(t->name, rel, sizeof(rel)));
		unlink(path);
	}
	static const char *const generated[] = {GEN_HEADER, GEN_OBJECT, GEN_STRIPPED};
	for (size_t i = 0; i < sizeof(generated) / sizeof(generated[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, generated[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/polc", dir);
	rmdir(path);
	rmdir(dir);
}

static void report_tool_failure(struct diag_sink *diags, const char *what, int status, struct strbuf *output)
{
	diag_error(diags, (struct src_loc){0}, NULL, "internal-clang", "this is a polc bug: please report it with the input",
		   "%s failed (status %d) building the generated datapath:\n%s", what, status,
		   output->len ? strbuf_cstr(output) : "(no output)");
}

int codegen_build(const struct strbuf *header, const struct clang_options *opts, struct diag_sink *diags,
		  void **obj, size_t *obj_size)
{
	const char *clang = tool(opts->clang, "POLC_CLANG", "clang");
	const char *strip = tool(opts->llvm_strip, "POLC_LLVM_STRIP", "llvm-strip");
	const char *tmpdir = getenv("TMPDIR");
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/polc-build-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir))
		return -errno;

	char *const clang_argv[] = {
		(char *)clang, "-target", "bpf", "-mcpu=v3", "-O2", "-g", "-Wall", "-Wno-unused-function",
		"-I.", "-I/usr/include/" POLC_MULTIARCH, "-fdebug-compilation-dir=.",
		"-c", GEN_SOURCE, "-o", GEN_OBJECT, NULL,
	};
	char *const strip_argv[] = {(char *)strip, "-g", GEN_OBJECT, "-o", GEN_STRIPPED, NULL};

	struct strbuf output = STRBUF_INIT;
	int err = write_sources(dir, header);
	if (!err && opts->emit_dir) {
		err = mkdir_p(opts->emit_dir);
		if (!err)
			err = write_sources(opts->emit_dir, header);
		if (!err) {
			struct strbuf script = STRBUF_INIT;
			strbuf_puts(&script, "#!/bin/sh\n# How polc built this generation (run here).\nset -e\n");
			for (char *const *a = clang_argv; *a; a++)
				strbuf_printf(&script, "%s%s", a == clang_argv ? "" : " ", *a);
			strbuf_puts(&script, "\n");
			for (char *const *a = strip_argv; *a; a++)
				strbuf_printf(&script, "%s%s", a == strip_argv ? "" : " ", *a);
			strbuf_puts(&script, "\n");
			err = strbuf_error(&script);
			if (!err)
				err = write_file(opts->emit_dir, "build.sh", script.data, script.len);
			strbuf_free(&script);
		}
	}
	if (!err) {
		int status = run_in(dir, clang_argv, &output);
		if (status != 0) {
			report_tool_failure(diags, clang, status, &output);
			err = -EIO;
		}
	}
	if (!err) {
		strbuf_reset(&output);
		int status = run_in(dir, strip_argv, &output);
		if (status != 0) {
			report_tool_failure(diags, strip, status, &output);
			err = -EIO;
		}
	}
	if (!err)
		err = read_file(dir, GEN_STRIPPED, obj, obj_size);
	strbuf_free(&output);
	remove_tree(dir);
	return err;
}
