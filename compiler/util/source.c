/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void source_set_init(struct source_set *set, struct arena *arena)
{
	memset(set, 0, sizeof(*set));
	set->arena = arena;
}

static int index_lines(struct source_set *set, struct src_file *f)
{
	size_t n = 1;
	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] == '\n')
			n++;
	f->line_starts = arena_calloc(set->arena, n, sizeof(uint32_t));
	if (!f->line_starts)
		return -ENOMEM;
	size_t line = 0;
	f->line_starts[line++] = 0;
	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] == '\n')
			f->line_starts[line++] = (uint32_t)(i + 1);
	f->n_lines = n;
	return 0;
}

int source_add_buffer(struct source_set *set, const char *name, const char *data, size_t len)
{
	if (len > SOURCE_MAX_FILE_SIZE)
		return -EFBIG;
	char *copy = arena_alloc(set->arena, len + 1);
	char *name_copy = arena_strdup(set->arena, name);
	struct src_file *f = vec_add(set->arena, &set->files);
	if (!copy || !name_copy || !f)
		return -ENOMEM;
	memcpy(copy, data, len);
	copy[len] = '\0';
	f->name = name_copy;
	f->data = copy;
	f->len = len;
	int err = index_lines(set, f);
	if (err)
		return err;
	return (int)set->files.len;
}

int source_add_file(struct source_set *set, const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return -errno;
	struct stat st;
	if (fstat(fileno(fp), &st) != 0) {
		int err = -errno;
		fclose(fp);
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		fclose(fp);
		return -EISDIR;
	}
	/* Read in chunks: stat sizes lie for pipes and /proc files. */
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if (cap > SOURCE_MAX_FILE_SIZE + 1)
		cap = SOURCE_MAX_FILE_SIZE + 1;
	char *buf = arena_alloc(set->arena, cap + 1);
	size_t len = 0;
	int err = 0;
	while (buf) {
		if (len == cap) {
			if (cap > SOURCE_MAX_FILE_SIZE) {
				err = -EFBIG;
				break;
			}
			size_t ncap = cap * 2;
			buf = arena_realloc(set->arena, buf, cap + 1, ncap + 1);
			cap = ncap;
			continue;
		}
		size_t n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0) {
			if (ferror(fp))
				err = -EIO;
			break;
		}
	}
	fclose(fp);
	if (!buf)
		return -ENOMEM;
	if (err)
		return err;
	if (len > SOURCE_MAX_FILE_SIZE)
		return -EFBIG;

	struct src_file *f = vec_add(set->arena, &set->files);
	char *name_copy = arena_strdup(set->arena, path);
	if (!f || !name_copy)
		return -ENOMEM;
	buf[len] = '\0';
	f->name = name_copy;
	f->data = buf;
	f->len = len;
	err = index_lines(set, f);
	if (err)
		return err;
	return (int)set->files.len;
}

const struct src_file *source_get(const struct source_set *set, uint32_t file)
{
	if (file == 0 || file > set->files.len)
		return NULL;
	return &set->files.items[file - 1];
}

const char *source_name(const struct source_set *set, uint32_t file)
{
	const struct src_file *f = source_get(set, file);
	return f ? f->name : "<input>";
}

const char *source_line(const struct source_set *set, uint32_t file, uint32_t line, size_t *len)
{
	const struct src_file *f = source_get(set, file);
	if (!f || line == 0 || line > f->n_lines)
		return NULL;
	size_t start = f->line_starts[line - 1];
	size_t end = line < f->n_lines ? f->line_starts[line] : f->len;
	while (end > start && (f->data[end - 1] == '\n' || f->data[end - 1] == '\r'))
		end--;
	*len = end - start;
	return f->data + start;
}
