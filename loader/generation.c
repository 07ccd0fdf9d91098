/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * One policy generation: the artifact's polc_gen program and its own maps,
 * built and filled completely before anything points at it. The shared
 * maps it declares are replaced by the datapath's (bpf_map__reuse_fd),
 * after checking that it declares them exactly as they were created.
 *
 * The artifact comes from elsewhere (a build pipeline, a registry): its
 * ELF, map headers and entries are all checked against polc/layout.h
 * before the kernel sees them, so a corrupt artifact fails with a message
 * instead of loading maps the program would misread.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/btf.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

#define GEN_SECTION "bpf/gen.o"
#define VERIFIER_LOG_SIZE (1u << 20)
#define VERIFIER_TAIL_LINES 12

/* The generation maps whose layout polc/layout.h defines. */
struct known_map {
	const char *name;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t types[2];
	bool from_section; /* filled from map/<name> (else from meta/endpoints) */
};

static const struct known_map known_maps[] = {
	{ POLC_MAP_ENDPOINTS, sizeof(struct polc_endpoint_key), sizeof(struct polc_endpoint),
	  { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH }, false },
	{ POLC_MAP_IPCACHE, sizeof(struct polc_ipcache_key), sizeof(struct polc_ipcache_value),
	  { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH }, true },
	{ POLC_MAP_PORTS, sizeof(__u32), sizeof(struct polc_port_classes), { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY },
	  true },
	{ POLC_MAP_POLICY, sizeof(struct polc_policy_key), sizeof(struct polc_policy_value),
	  { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH }, true },
	{ POLC_MAP_RULE_STATS, sizeof(__u32), sizeof(struct polc_rule_stats),
	  { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY }, true },
};

struct gen_map {
	struct bpf_map *map;
	int shared; /* enum polc_shared_map, or -1 for the generation's own maps */
	const struct known_map *known;
	bool has_view;
	struct polc_map_view view; /* points into the artifact */
};

struct polc_gen {
	struct bpf_object *obj;
	struct bpf_program *prog;
	uint64_t revision;
	uint32_t prog_id;
	struct gen_map *maps;
	size_t n_maps;
	struct bpf_map *state_map; /* the data section holding struct polc_gen_state */
	uint32_t state_offset;
};

static const struct known_map *find_known(const char *name)
{
	for (size_t i = 0; i < POLC_ARRAY_SIZE(known_maps); i++)
		if (strcmp(known_maps[i].name, name) == 0)
			return &known_maps[i];
	return NULL;
}

void polc_gen_free(struct polc_gen *g)
{
	if (!g)
		return;
	bpf_object__close(g->obj);
	free(g->maps);
	free(g);
}

int polc_gen_prog_fd(const struct polc_gen *g)
{
	return bpf_program__fd(g->prog);
}

uint32_t polc_gen_prog_id(const struct polc_gen *g)
{
	return g->prog_id;
}

uint64_t polc_gen_revision(const struct polc_gen *g)
{
	return g->revision;
}

int polc_gen_map_fd(const struct polc_gen *g, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(g->obj, name);
	return m ? bpf_map__fd(m) : -1;
}

/* ---- entry checks ---- */

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* NULL if the entry is well-formed, else what is wrong with it. */
static const char *check_ipcache(const uint8_t *k, const uint8_t *v)
{
	struct polc_ipcache_key key;
	struct polc_ipcache_value val;
	memcpy(&key, k, sizeof(key));
	memcpy(&val, v, sizeof(val));
	unsigned bits = key.family == POLC_AF_INET ? 32 : key.family == POLC_AF_INET6 ? 128 : 0;
	if (!bits)
		return "family is neither 4 nor 6";
	if (key.prefixlen > bits)
		return "prefix length longer than the address";
	if (!all_zero(key.pad, sizeof(key.pad)))
		return "padding is not zero";
	for (unsigned b = key.prefixlen; b < 128; b++)
		if (key.addr[b / 8] & (0x80u >> (b % 8)))
			return "address has bits set beyond its prefix length";
	if (val.identity > POLC_ID_MAX)
		return "identity out of range";
	return NULL;
}

static const char *check_policy(const uint8_t *k, const uint8_t *v)
{
	struct polc_policy_key key;
	struct polc_policy_value val;
	memcpy(&key, k, sizeof(key));
	memcpy(&val, v, sizeof(val));
	if (key.port_kind > POLC_PORT_RANGE)
		return "unknown port kind";
	if (key.port_kind == POLC_PORT_ANY && key.port != 0)
		return "a port on an any-port entry";
	if (key.proto == 0 && key.port_kind != POLC_PORT_ANY)
		return "a port without a protocol";
	if (val.action != POLC_ACT_ALLOW && val.action != POLC_ACT_DENY)
		return "action is neither allow nor deny";
	return NULL;
}

static int check_entries(const struct gen_map *gm, struct polc_error *err)
{
	const struct polc_map_view *v = &gm->view;
	const char *name = bpf_map__name(gm->map);
	size_t pair = (size_t)v->key_size + v->value_size;
	bool hash = bpf_map__type(gm->map) != BPF_MAP_TYPE_ARRAY && bpf_map__type(gm->map) != BPF_MAP_TYPE_PERCPU_ARRAY;
	__u32 prev_idx = 0;
	for (uint32_t i = 0; i < v->n_entries; i++) {
		const uint8_t *k = v->entries + i * pair;
		/*
		 * Sorted and unique, so a duplicate key (which would silently
		 * overwrite an entry) shows as a pair out of order: hash keys by
		 * their bytes, array indexes by value (as the compiler writes them).
		 */
		if (hash && i > 0 && memcmp(k - pair, k, v->key_size) >= 0)
			return polc_errf(err, -EINVAL, "artifact map/%s entry %u: keys not strictly ascending (duplicate?)",
					 name, i);
		if (!hash) {
			__u32 idx;
			memcpy(&idx, k, sizeof(idx));
			if (idx >= v->max_entries)
				return polc_errf(err, -EINVAL, "artifact map/%s entry %u: index %u beyond %u entries", name,
						 i, idx, v->max_entries);
			if (i > 0 && idx <= prev_idx)
				return polc_errf(err, -EINVAL,
						 "artifact map/%s entry %u: indexes not strictly ascending (duplicate?)", name, i);
			prev_idx = idx;
		}
		const char *bad = NULL;
		if (strcmp(name, POLC_MAP_IPCACHE) == 0)
			bad = check_ipcache(k, k + v->key_size);
		else if (strcmp(name, POLC_MAP_POLICY) == 0)
			bad = check_policy(k, k + v->key_size);
		if (bad)
			return polc_errf(err, -EINVAL, "artifact map/%s entry %u: %s", name, i, bad);
	}
	return 0;
}

/* ---- opening ---- */

/* Is BTF type id (through typedefs and qualifiers) struct polc_gen_state? */
static bool is_gen_state_type(const struct btf *btf, __u32 id)
{
	int rid = btf__resolve_type(btf, id);
	const struct btf_type *t = rid > 0 ? btf__type_by_id(btf, (__u32)rid) : NULL;
	return t && btf_is_struct(t) && strcmp(btf__name_by_offset(btf, t->name_off), "polc_gen_state") == 0;
}

/*
 * The generation's global struct polc_gen_state, found by its type (its
 * name is the template's business) in whichever data section holds it.
 * The revision is the loader's; the flags are the compiler's unless the
 * loader is told otherwise (polc_gen_set_events).
 */
static int set_revision(struct polc_gen *g, struct bpf_object *obj, uint64_t revision, struct polc_error *err)
{
	struct btf *btf = bpf_object__btf(obj);
	if (!btf)
		return polc_errf(err, -EINVAL, GEN_SECTION " has no BTF: it was not built by polc");
	const struct btf_var_secinfo *found = NULL;
	const char *found_sec = NULL;
	__u32 n = btf__type_cnt(btf);
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!btf_is_datasec(t))
			continue;
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);
		for (__u16 i = 0; i < btf_vlen(t); i++, vs++) {
			const struct btf_type *var = btf__type_by_id(btf, vs->type);
			if (!var || !btf_is_var(var) || !is_gen_state_type(btf, var->type))
				continue;
			if (found)
				return polc_errf(err, -EINVAL, GEN_SECTION " has more than one struct polc_gen_state global");
			found = vs;
			found_sec = btf__name_by_offset(btf, t->name_off);
		}
	}
	if (!found)
		return polc_errf(err, -EINVAL, GEN_SECTION " has no global struct polc_gen_state");
	struct bpf_map *m = bpf_object__find_map_by_name(obj, found_sec);
	if (!m || found->size != sizeof(struct polc_gen_state))
		return polc_errf(err, -EINVAL, GEN_SECTION ": the struct polc_gen_state in %s is not the one of polc/layout.h",
				 found_sec);
	size_t size = 0;
	const void *init = bpf_map__initial_value(m, &size);
	if (!init || (size_t)found->offset + found->size > size)
		return polc_errf(err, -EINVAL, GEN_SECTION ": struct polc_gen_state lies outside %s", found_sec);
	_cleanup_free_ uint8_t *data = malloc(size);
	if (!data)
		return polc_errf(err, -ENOMEM, "out of memory");
	memcpy(data, init, size);
	struct polc_gen_state st;
	memcpy(&st, data + found->offset, sizeof(st));
	st.revision = (uint32_t)revision;
	memcpy(data + found->offset, &st, sizeof(st));
	int rc = bpf_map__set_initial_value(m, data, size);
	if (rc)
		return polc_errf_sys(err, rc, GEN_SECTION ": cannot set the revision in %s", found_sec);
	g->state_map = m;
	g->state_offset = found->offset;
	return 0;
}

int polc_gen_set_events(struct polc_gen *g, uint32_t flags, struct polc_error *err)
{
	size_t size = 0;
	const void *init = bpf_map__initial_value(g->state_map, &size);
	if (!init || (size_t)g->state_offset + sizeof(struct polc_gen_state) > size)
		return polc_errf(err, -EINVAL, GEN_SECTION ": no struct polc_gen_state to set");
	_cleanup_free_ uint8_t *data = malloc(size);
	if (!data)
		return polc_errf(err, -ENOMEM, "out of memory");
	memcpy(data, init, size);
	struct polc_gen_state st;
	memcpy(&st, data + g->state_offset, sizeof(st));
	st.flags = flags;
	memcpy(data + g->state_offset, &st, sizeof(st));
	int rc = bpf_map__set_initial_value(g->state_map, data, size);
	return rc ? polc_errf_sys(err, rc, GEN_SECTION ": cannot set the event flags") : 0;
}

int polc_gen_array_hashes(const struct polc_gen *g, FILE *out)
{
	for (size_t i = 0; i < g->n_maps; i++) {
		const struct gen_map *gm = &g->maps[i];
		uint32_t type = bpf_map__type(gm->map);
		if (!gm->has_view || (type != BPF_MAP_TYPE_ARRAY && type != BPF_MAP_TYPE_PERCPU_ARRAY))
			continue;
		if (fprintf(out, "array.%s=%016llx\n", bpf_map__name(gm->map),
			    (unsigned long long)polc_hash64(gm->view.entries - sizeof(struct polc_artifact_map),
							    sizeof(struct polc_artifact_map) +
								    (size_t)gm->view.n_entries *
									    (gm->view.key_size + gm->view.value_size),
							    POLC_HASH_SEED)) < 0)
			return -EIO;
	}
	return 0;
}

void polc_gen_pin_name(const char *map_name, char *out, size_t size)
{
	/* bpffs refuses '.' in names: polc_gen.data is pinned as polc_gen_data. */
	snprintf(out, size, "%s", map_name);
	for (char *c = out; *c; c++)
		if (*c == '.')
			*c = '_';
}

void polc_gen_state_location(const struct polc_gen *g, char *pin_name, size_t size, uint32_t *offset)
{
	polc_gen_pin_name(bpf_map__name(g->state_map), pin_name, size);
	*offset = g->state_offset;
}

static int open_own_map(const struct polc_artifact *a, const struct polc_art_meta *meta, struct gen_map *gm,
			struct polc_error *err)
{
	const char *name = bpf_map__name(gm->map);
	gm->known = find_known(name);
	if (gm->known) {
		const struct known_map *k = gm->known;
		uint32_t type = bpf_map__type(gm->map);
		if (bpf_map__key_size(gm->map) != k->key_size || bpf_map__value_size(gm->map) != k->value_size ||
		    (type != k->types[0] && type != k->types[1]))
			return polc_errf(err, -EINVAL,
					 GEN_SECTION ": map %s has type %u key %u value %u, polc/layout.h says type %u "
						     "key %u value %u; recompile the policy with this polc",
					 name, type, bpf_map__key_size(gm->map), bpf_map__value_size(gm->map), k->types[0],
					 k->key_size, k->value_size);
	}
	int rc = polc_artifact_map_view(a, name, &gm->view);
	if (rc == -EINVAL)
		return polc_errf(err, -EINVAL, "artifact map/%s is malformed (header and size disagree)", name);
	if (rc && rc != -ENOENT && rc != -ENAMETOOLONG)
		return polc_errf_sys(err, rc, "artifact map/%s", name);
	gm->has_view = rc == 0;

	if (gm->known && !gm->known->from_section) {
		if (gm->has_view)
			return polc_errf(err, -EINVAL, "artifact has a map/%s section: endpoints come from meta/endpoints",
					 name);
		rc = bpf_map__set_max_entries(gm->map, meta->endpoints_max);
		return rc ? polc_errf_sys(err, rc, "map %s", name) : 0;
	}
	if (!gm->has_view) {
		if (gm->known)
			return polc_errf(err, -EINVAL, "artifact has no map/%s section for map %s of " GEN_SECTION, name,
					 name);
		return 0; /* a map the program fills itself */
	}
	if (gm->view.key_size != bpf_map__key_size(gm->map) || gm->view.value_size != bpf_map__value_size(gm->map))
		return polc_errf(err, -EINVAL,
				 "artifact map/%s has key %u value %u but " GEN_SECTION " declares key %u value %u", name,
				 gm->view.key_size, gm->view.value_size, bpf_map__key_size(gm->map),
				 bpf_map__value_size(gm->map));
	if (strcmp(name, POLC_MAP_RULE_STATS) == 0 && gm->view.n_entries)
		return polc_errf(err, -EINVAL, "artifact map/%s must have no entries (counters start at zero)", name);
	/* The kernel refuses empty hash maps; one unused slot is cheaper than a special case. */
	rc = bpf_map__set_max_entries(gm->map, gm->view.max_entries ? gm->view.max_entries : 1);
	if (rc)
		return polc_errf_sys(err, rc, "map %s", name);
	gm->view.max_entries = bpf_map__max_entries(gm->map);
	return check_entries(gm, err);
}

/* Every map/ section must land in a map: a section nobody reads means a compiler/loader mismatch. */
static int check_sections_used(const struct polc_artifact *a, const struct polc_gen *g, struct polc_error *err)
{
	for (uint32_t i = 0; i < a->header->n_sections; i++) {
		const char *name = a->sections[i].name;
		if (strncmp(name, "map/", 4) != 0)
			continue;
		bool used = false;
		for (size_t j = 0; j < g->n_maps && !used; j++)
			used = g->maps[j].has_view && strcmp(bpf_map__name(g->maps[j].map), name + 4) == 0;
		if (!used)
			return polc_errf(err, -EINVAL, "artifact section %s has no map %s in " GEN_SECTION, name, name + 4);
	}
	return 0;
}

/* polc_gen, or else the object's only tc program (the templates' name is theirs). */
static int find_gen_prog(struct polc_gen *g, struct polc_error *err)
{
	g->prog = bpf_object__find_program_by_name(g->obj, POLC_PROG_GEN);
	if (g->prog)
		return 0;
	struct bpf_program *p, *tc = NULL;
	int n = 0;
	bpf_object__for_each_program(p, g->obj) {
		if (bpf_program__type(p) == BPF_PROG_TYPE_SCHED_CLS) {
			tc = p;
			n++;
		}
	}
	if (n != 1)
		return polc_errf(err, -EINVAL, GEN_SECTION " has no program %s and %s tc program", POLC_PROG_GEN,
				 n ? "more than one" : "no");
	g->prog = tc;
	return 0;
}

int polc_gen_open(const struct polc_artifact *a, const struct polc_art_meta *meta, struct polc_gen **out,
		  struct polc_error *err)
{
	size_t size = 0;
	const void *elf = polc_artifact_section(a, GEN_SECTION, &size);
	if (!elf || size == 0)
		return polc_errf(err, -EINVAL, "artifact has no " GEN_SECTION " section");

	struct polc_gen *g = calloc(1, sizeof(*g));
	if (!g)
		return polc_errf(err, -ENOMEM, "out of memory");
	g->revision = meta->revision;
	int rc;

	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = POLC_PROG_GEN);
	g->obj = bpf_object__open_mem(elf, size, &opts);
	if (!g->obj) {
		rc = polc_errf_sys(err, -errno, "artifact " GEN_SECTION " is not a valid BPF object");
		goto fail;
	}
	if ((rc = find_gen_prog(g, err)))
		goto fail;
	if (bpf_program__type(g->prog) != BPF_PROG_TYPE_SCHED_CLS) {
		rc = polc_errf(err, -EINVAL, GEN_SECTION ": %s is not a tc program (SEC(\"tc\"))",
			       bpf_program__name(g->prog));
		goto fail;
	}

	struct bpf_map *m;
	bpf_object__for_each_map(m, g->obj)
		g->n_maps++;
	g->maps = calloc(g->n_maps ? g->n_maps : 1, sizeof(*g->maps));
	if (!g->maps) {
		rc = polc_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	size_t i = 0;
	bpf_object__for_each_map(m, g->obj) {
		struct gen_map *gm = &g->maps[i++];
		gm->map = m;
		gm->shared = polc_shared_map_index(bpf_map__name(m));
		if (gm->shared >= 0 || bpf_map__is_internal(m))
			continue;
		if ((rc = open_own_map(a, meta, gm, err)))
			goto fail;
	}
	for (size_t k = 0; k < POLC_ARRAY_SIZE(known_maps); k++) {
		if (!bpf_object__find_map_by_name(g->obj, known_maps[k].name)) {
			rc = polc_errf(err, -EINVAL, GEN_SECTION " lacks map %s", known_maps[k].name);
			goto fail;
		}
	}
	if ((rc = check_sections_used(a, g, err)))
		goto fail;
	if ((rc = set_revision(g, g->obj, meta->revision, err)))
		goto fail;
	*out = g;
	return 0;
fail:
	polc_gen_free(g);
	return rc;
}

/* ---- loading ---- */

static int reuse_shared(struct polc_gen *g, const struct polc_shared *sh, struct polc_error *err)
{
	for (size_t i = 0; i < g->n_maps; i++) {
		struct gen_map *gm = &g->maps[i];
		if (gm->shared < 0)
			continue;
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = sh->map_fd[gm->shared];
		int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
		if (rc)
			return polc_errf_sys(err, rc, "cannot query shared map %s", bpf_map__name(gm->map));
		if (info.type != bpf_map__type(gm->map) || info.key_size != bpf_map__key_size(gm->map) ||
		    info.value_size != bpf_map__value_size(gm->map) ||
		    info.max_entries != bpf_map__max_entries(gm->map) || info.map_flags != bpf_map__map_flags(gm->map))
			return polc_errf(err, -EINVAL,
					 GEN_SECTION " declares shared map %s as type %u key %u value %u entries %u, the "
						     "datapath has type %u key %u value %u entries %u: the artifact was "
						     "compiled by another polc version; recompile it",
					 bpf_map__name(gm->map), bpf_map__type(gm->map), bpf_map__key_size(gm->map),
					 bpf_map__value_size(gm->map), bpf_map__max_entries(gm->map), info.type,
					 info.key_size, info.value_size, info.max_entries);
		if ((rc = bpf_map__reuse_fd(gm->map, fd)))
			return polc_errf_sys(err, rc, "cannot reuse shared map %s", bpf_map__name(gm->map));
	}
	return 0;
}

/* The last lines of the verifier's log: where it gave up and why. */
static void log_tail(const char *log, char *out, size_t size)
{
	size_t len = strlen(log);
	while (len && (log[len - 1] == '\n' || log[len - 1] == ' '))
		len--;
	if (len == 0) {
		snprintf(out, size, "(empty)");
		return;
	}
	size_t start = len;
	int lines = 0;
	while (start > 0 && lines < VERIFIER_TAIL_LINES) {
		start--;
		if (log[start] == '\n')
			lines++;
	}
	if (log[start] == '\n')
		start++;
	/* Keep the tail within the message, cutting whole lines from the front. */
	while (len - start > size - 1) {
		const char *nl = memchr(log + start, '\n', len - start);
		start = nl ? (size_t)(nl - log) + 1 : len - (size - 1);
	}
	snprintf(out, size, "%.*s", (int)(len - start), log + start);
}

static int load_failed(struct polc_gen *g, int rc, const char *log, struct polc_error *err)
{
	if (rc == -EPERM)
		return polc_errf_sys(err, rc, "cannot load policy revision %016llx", (unsigned long long)g->revision);
	if (log[0]) {
		char tail[768];
		log_tail(log, tail, sizeof(tail));
		return polc_errf(err, rc == -ENOSPC ? -EACCES : rc,
				 "the kernel verifier rejected %s of policy revision %016llx (%s); its log ends:\n%s",
				 bpf_program__name(g->prog), (unsigned long long)g->revision, strerror(rc < 0 ? -rc : rc), tail);
	}
	for (size_t i = 0; i < g->n_maps; i++) {
		if (g->maps[i].shared < 0 && bpf_map__fd(g->maps[i].map) < 0)
			return polc_errf_sys(err, rc, "cannot create map %s (%u entries) of policy revision %016llx",
					     bpf_map__name(g->maps[i].map), bpf_map__max_entries(g->maps[i].map),
					     (unsigned long long)g->revision);
	}
	return polc_errf_sys(err, rc, "cannot load policy revision %016llx", (unsigned long long)g->revision);
}

static int fill_endpoints(struct polc_gen *g, const struct polc_eps *eps, struct polc_error *err)
{
	struct bpf_map *m = bpf_object__find_map_by_name(g->obj, POLC_MAP_ENDPOINTS);
	const size_t ks = sizeof(struct polc_endpoint_key), vs = sizeof(struct polc_endpoint);
	_cleanup_free_ uint8_t *pairs = malloc((eps->n ? eps->n : 1) * (ks + vs));
	if (!pairs)
		return polc_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < eps->n; i++) {
		if (!eps->v[i].ifindex)
			return polc_errf(err, -EINVAL, "endpoint %s: interface %s not resolved", eps->v[i].pod,
					 eps->v[i].ifname);
		struct polc_endpoint_key key = { .ifindex = eps->v[i].ifindex };
		memcpy(pairs + i * (ks + vs), &key, ks);
		memcpy(pairs + i * (ks + vs) + ks, &eps->v[i].value, vs);
	}
	return polc_map_fill(bpf_map__fd(m), POLC_MAP_ENDPOINTS, bpf_map__type(m), ks, vs, bpf_map__max_entries(m),
			     pairs, (uint32_t)eps->n, err);
}

int polc_gen_load(struct polc_gen *g, const struct polc_shared *sh, const struct polc_eps *eps,
		  struct polc_error *err)
{
	int rc = reuse_shared(g, sh, err);
	if (rc)
		return rc;
	/* The kernel lets a prog array hold only programs of the kind that calls through it. */
	bpf_program__set_expected_attach_type(g->prog, sh->expected_attach_type);

	_cleanup_free_ char *log = calloc(1, VERIFIER_LOG_SIZE);
	if (!log)
		return polc_errf(err, -ENOMEM, "out of memory");
	struct bpf_program *p;
	bpf_object__for_each_program(p, g->obj)
		bpf_program__set_log_buf(p, log, VERIFIER_LOG_SIZE);
	rc = bpf_object__load(g->obj);
	/* The buffer dies with this call: libbpf must not keep pointing at it. */
	bpf_object__for_each_program(p, g->obj)
		bpf_program__set_log_buf(p, NULL, 0);
	if (rc)
		return load_failed(g, rc, log, err);
	g->prog_id = polc_obj_id(bpf_program__fd(g->prog));

	for (size_t i = 0; i < g->n_maps; i++) {
		struct gen_map *gm = &g->maps[i];
		if (!gm->has_view)
			continue;
		rc = polc_map_fill(bpf_map__fd(gm->map), bpf_map__name(gm->map), bpf_map__type(gm->map),
				   gm->view.key_size, gm->view.value_size, bpf_map__max_entries(gm->map),
				   gm->view.entries, gm->view.n_entries, err);
		if (rc)
			return rc;
	}
	return fill_endpoints(g, eps, err);
}

/* ---- pinning ---- */

int polc_gen_pin(struct polc_gen *g, const char *dir, struct polc_error *err)
{
	if (mkdir(dir, 0700))
		return polc_errf_sys(err, -errno, "cannot create %s", dir);
	char path[PATH_MAX];
	int rc;
	if (polc_path(path, sizeof(path), "%s/%s", dir, POLC_PROG_GEN)) {
		rc = polc_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
		goto fail;
	}
	if (bpf_obj_pin(bpf_program__fd(g->prog), path)) {
		rc = polc_errf_sys(err, -errno, "cannot pin %s", path);
		goto fail;
	}
	for (size_t i = 0; i < g->n_maps; i++) {
		if (g->maps[i].shared >= 0)
			continue;
		char name[BPF_OBJ_NAME_LEN];
		polc_gen_pin_name(bpf_map__name(g->maps[i].map), name, sizeof(name));
		if (polc_path(path, sizeof(path), "%s/%s", dir, name)) {
			rc = polc_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
			goto fail;
		}
		if (bpf_obj_pin(bpf_map__fd(g->maps[i].map), path)) {
			rc = polc_errf_sys(err, -errno, "cannot pin %s", path);
			goto fail;
		}
	}
	return 0;
fail:
	polc_unpin_dir(dir, NULL);
	return rc;
}
