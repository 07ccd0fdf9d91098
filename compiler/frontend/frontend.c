/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Input files -> documents -> objects -> the kind loaders, through one
 * dispatch table (see frontend.h). Adding a kind is adding a row.
 */
#include "frontend.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "decode.h"

struct kind_entry {
	const char *api_version; /* "group/version", or "v1" for the core group */
	const char *kind;
	int (*load)(struct frontend *fe, const struct frontend_object *obj);
	bool is_policy;
};

static const struct kind_entry kind_table[] = {
	{"networking.k8s.io/v1", "NetworkPolicy", frontend_load_netpol, true},
	{"cilium.io/v2", "CiliumNetworkPolicy", frontend_load_cilium, true},
	{"cilium.io/v2", "CiliumClusterwideNetworkPolicy", frontend_load_cilium, true},
	{"v1", "Namespace", frontend_load_namespace, false},
	{"v1", "Pod", frontend_load_pod, false},
	{"v1", "Node", frontend_load_node, false},
	{"v1", "Endpoints", frontend_load_endpoints, false},
	{"discovery.k8s.io/v1", "EndpointSlice", frontend_load_endpoint_slice, false},
	{"discovery.k8s.io/v1beta1", "EndpointSlice", frontend_load_endpoint_slice, false}, /* same addresses */
	{"cilium.io/v2alpha1", "CiliumCIDRGroup", frontend_load_cidr_group, false},
	{"cilium.io/v2", "CiliumCIDRGroup", frontend_load_cidr_group, false},
};

#define KIND_COUNT (sizeof(kind_table) / sizeof(kind_table[0]))
/* kind: List inside kind: List inside ... (the YAML depth limit bounds it too). */
#define MAX_LIST_NESTING 8

int frontend_init(struct frontend *fe, struct ir_program *prog, struct diag_sink *diags,
		  struct source_set *sources, const struct frontend_options *opts)
{
	memset(fe, 0, sizeof(*fe));
	fe->arena = prog->arena;
	fe->prog = prog;
	fe->diags = diags;
	fe->sources = sources;
	if (opts)
		fe->opts = *opts;
	strmap_init(&fe->objects, fe->arena);
	strmap_init(&fe->pod_addrs, fe->arena);
	strmap_init(&fe->pod_ifaces, fe->arena);
	strmap_init(&fe->cidr_groups, fe->arena);
	return 0;
}

int frontend_register_object(struct frontend *fe, const char *kind, const char *ns, const char *name,
			     struct src_loc loc)
{
	char *key = arena_printf(fe->arena, "%s/%s/%s", kind, ns ? ns : "", name);
	struct src_loc *at = arena_alloc(fe->arena, sizeof(*at));
	if (!key || !at)
		return -ENOMEM;
	*at = loc;
	void *prev = NULL;
	int r = strmap_add(&fe->objects, key, strlen(key), at, &prev);
	if (r < 0)
		return r;
	if (r == 1)
		return 0;
	const struct src_loc *first = prev;
	const char *what = ns ? arena_printf(fe->arena, "%s/%s", ns, name) : name;
	diag_error(fe->diags, loc, "metadata.name", "duplicate-object",
		   "each object may appear once in the input; remove or rename one",
		   "duplicate %s %s (first at %s:%u)", kind, what, source_name(fe->sources, first->file),
		   first->line);
	diag_note(fe->diags, *first, NULL, "duplicate-object", NULL, "first %s %s is here", kind, what);
	return -EEXIST;
}

static void note_non_policy(struct frontend *fe, const struct frontend_object *obj)
{
	if (fe->have_non_policy)
		return;
	fe->have_non_policy = true;
	fe->first_non_policy_loc = obj->kind_loc;
	fe->first_non_policy_kind = obj->kind;
	fe->first_non_policy_api_version = obj->api_version;
}

static int dispatch(struct frontend *fe, const struct ynode *root, uint32_t file, uint32_t doc_index,
		    unsigned list_depth);

/* kind: List (or PodList, ...) as kubectl get -o yaml prints several objects. */
static int load_list(struct frontend *fe, const struct frontend_object *obj, unsigned list_depth)
{
	struct decoder d;
	decoder_init(&d, fe->arena, fe->diags);
	struct ypath ip = YPATH_KEY(NULL, "items");
	const struct ynode *items = ymap_get(obj->root, "items");
	if (!ynode_is_set(items))
		return 0;
	if (!decode_sequence(&d, items, &ip))
		return -EINVAL;
	if (list_depth >= MAX_LIST_NESTING) {
		decode_error_at(&d, items->loc, &ip, "list-nesting", NULL, "lists nested more than %d deep",
				MAX_LIST_NESTING);
		return -EINVAL;
	}
	int ret = 0;
	for (size_t i = 0; i < items->seq.len; i++) {
		int err = dispatch(fe, items->seq.items[i], obj->file, obj->doc_index, list_depth + 1);
		if (err == -ENOMEM)
			return err;
		if (err)
			ret = err;
	}
	return ret;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *const known_kinds[] = {
	"NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "Namespace", "Pod", "Node",
	"CiliumCIDRGroup", "Endpoints", "EndpointSlice", NULL,
};

/*
 * One object: check apiVersion and kind, then hand it to its loader.
 * Shape: a mapping with apiVersion: <group/version> and kind: <Kind>.
 */
static int dispatch(struct frontend *fe, const struct ynode *root, uint32_t file, uint32_t doc_index,
		    unsigned list_depth)
{
	struct decoder d;
	decoder_init(&d, fe->arena, fe->diags);
	if (root->kind == YNODE_SEQUENCE && list_depth == 0) {
		/* A list of mappings is a bare Cilium rule list (cilium-dbg policy import). */
		bool rules = true;
		for (size_t i = 0; i < root->seq.len && rules; i++)
			rules = root->seq.items[i]->kind == YNODE_MAPPING;
		if (rules)
			return frontend_load_cilium_rules(fe, root, file);
	}
	if (root->kind != YNODE_MAPPING) {
		decode_error_at(&d, root->loc, NULL, "not-an-object",
				"each document must be one Kubernetes object (apiVersion, kind, metadata, ...)",
				"expected a Kubernetes object (a mapping), got %s %s",
				root->kind == YNODE_SCALAR ? "a" : "a", ynode_kind_name(root));
		return -EINVAL;
	}
	struct frontend_object obj = {.root = root, .file = file, .doc_index = doc_index, .loc = root->loc};
	struct ypath kp = YPATH_KEY(NULL, "kind");
	struct ypath ap = YPATH_KEY(NULL, "apiVersion");
	const struct ynode *kind = ymap_get(root, "kind");
	const struct ynode *api = ymap_get(root, "apiVersion");
	if (!ynode_is_set(kind)) {
		decode_error_at(&d, kind ? kind->loc : root->loc, &kp, "required-field",
				"add kind: NetworkPolicy (or the object's kind)", "Object 'Kind' is missing");
		return -EINVAL;
	}
	if (!decode_string(&d, kind, &kp, &obj.kind))
		return -EINVAL;
	obj.kind_loc = ymap_get_key(root, "kind")->loc;
	if (!ynode_is_set(api)) {
		/* A key spelt apiversion or ApiVersion is the usual cause: point at it. */
		const struct ynode *near = NULL;
		for (size_t i = 0; i < root->map.len && !api; i++)
			if (strcasecmp(root->map.pairs[i].key->scalar.value, "apiVersion") == 0)
				near = root->map.pairs[i].key;
		const char *hint = near ? arena_printf(fe->arena, "keys are case-sensitive: write apiVersion, not %s",
						       near->scalar.value)
				   : strcmp(obj.kind, "NetworkPolicy") == 0 ? "add apiVersion: networking.k8s.io/v1"
									    : NULL;
		decode_error_at(&d, api ? api->loc : near ? near->loc : obj.kind_loc, &ap, "required-field", hint,
				"Object 'apiVersion' is missing");
		return -EINVAL;
	}
	if (!decode_string(&d, api, &ap, &obj.api_version))
		return -EINVAL;

	if (ends_with(obj.kind, "List") && ymap_get_key(root, "items")) {
		/* A List is a container: its items decide what the input holds. */
		return load_list(fe, &obj, list_depth);
	}

	/* A kind may have several apiVersions (CiliumCIDRGroup): prefer the exact row. */
	const struct kind_entry *match = NULL;
	for (size_t i = 0; i < KIND_COUNT; i++) {
		if (strcmp(kind_table[i].kind, obj.kind) != 0)
			continue;
		if (!match || strcmp(kind_table[i].api_version, obj.api_version) == 0)
			match = &kind_table[i];
	}
	if (!match) {
		const char *s = decode_suggest(obj.kind, known_kinds);
		note_non_policy(fe, &obj);
		if (s) {
			/* A misspelt policy kind must not be skipped silently. */
			decode_error_at(&d, kind->loc, &kp, "unknown-kind",
					arena_printf(fe->arena, "did you mean \"%s\"? (kinds are case-sensitive)", s),
					"unknown kind %s (apiVersion %s)", decode_quote(&d, obj.kind), obj.api_version);
			return -EINVAL;
		}
		diag_note(fe->diags, kind->loc, "kind", "skipped-kind", NULL,
			  "kind %s (apiVersion %s) is neither a policy nor inventory; skipped", obj.kind,
			  obj.api_version);
		return 0;
	}
	if (strcmp(match->api_version, obj.api_version) != 0) {
		if (match->is_policy)
			fe->n_policies++;
		decode_error_at(&d, api->loc, &ap, "unsupported-api-version",
				arena_printf(fe->arena, "write apiVersion: %s", match->api_version),
				"unsupported apiVersion %s for kind %s; polc reads %s %s",
				decode_quote(&d, obj.api_version), obj.kind, match->api_version, match->kind);
		return -EINVAL;
	}
	if (match->is_policy) {
		fe->n_policies++;
	} else {
		fe->n_inventory++;
		note_non_policy(fe, &obj);
	}
	return match->load(fe, &obj);
}

int frontend_load_file(struct frontend *fe, uint32_t file_id)
{
	size_t errors_before = fe->diags->count[DIAG_ERROR];
	struct ystream stream;
	fe->n_files++;
	if (!fe->first_file)
		fe->first_file = file_id;
	int err = yaml_load(fe->arena, fe->diags, fe->sources, file_id, fe->opts.limits, &stream);
	if (err)
		return err;
	for (size_t i = 0; i < stream.n_docs; i++) {
		const struct ydoc *doc = &stream.docs[i];
		if (!doc->root) {
			diag_warning(fe->diags, doc->loc, NULL, "empty-document",
				     "remove the extra '---' separator", "document %u (line %u) is empty, skipped",
				     doc->index, doc->loc.line);
			continue;
		}
		fe->n_documents++;
		err = dispatch(fe, doc->root, file_id, doc->index, 0);
		if (err == -ENOMEM)
			return err;
	}
	return fe->diags->count[DIAG_ERROR] > errors_before ? -EINVAL : 0;
}

static int io_error(struct frontend *fe, const char *path, int err)
{
	const char *hint = err == -EFBIG ? "the API server takes at most 3 MiB per request; split the input" : NULL;
	diag_error(fe->diags, (struct src_loc){0}, NULL, "io-error", hint, "%s: %s", path,
		   err == -EFBIG ? "file is larger than 16 MiB" : strerror(-err));
	return err;
}

static bool has_input_suffix(const char *name)
{
	return ends_with(name, ".yaml") || ends_with(name, ".yml") || ends_with(name, ".json");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct dir_visit {
	dev_t dev;
	ino_t ino;
	const struct dir_visit *parent;
};

#define MAX_DIR_DEPTH 32

static int load_dir(struct frontend *fe, const char *dir, const struct dir_visit *parent, unsigned depth)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return io_error(fe, dir, -errno);
	/* A symlink back up the tree would recurse forever. */
	for (const struct dir_visit *v = parent; v; v = v->parent)
		if (v->dev == st.st_dev && v->ino == st.st_ino)
			return 0;
	if (depth > MAX_DIR_DEPTH) {
		diag_error(fe->diags, (struct src_loc){0}, NULL, "io-error", NULL, "%s: directories nested too deep",
			   dir);
		return -ELOOP;
	}
	struct dir_visit here = {.dev = st.st_dev, .ino = st.st_ino, .parent = parent};

	DIR *dp = opendir(dir);
	if (!dp)
		return io_error(fe, dir, -errno);
	VEC(char *) names = {0};
	int err = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(dp)) != NULL) {
		/* ".", "..", dotfiles, and the ..data links of mounted ConfigMaps. */
		if (de->d_name[0] == '.')
			continue;
		char *name = arena_strdup(fe->arena, de->d_name);
		if (!name || vec_push(fe->arena, &names, name)) {
			err = -ENOMEM;
			break;
		}
	}
	if (!err && errno)
		err = io_error(fe, dir, -errno);
	closedir(dp);
	if (err)
		return err;
	if (names.len > 1)
		qsort(names.items, names.len, sizeof(char *), cmp_names);

	int ret = 0;
	for (size_t i = 0; i < names.len; i++) {
		size_t dlen = strlen(dir);
		char *path = arena_printf(fe->arena, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/",
					  names.items[i]);
		if (!path)
			return -ENOMEM;
		if (stat(path, &st) != 0) {
			ret = io_error(fe, path, -errno);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			err = load_dir(fe, path, &here, depth + 1);
		} else if (S_ISREG(st.st_mode) && has_input_suffix(names.items[i])) {
			int id = source_add_file(fe->sources, path);
			err = id < 0 ? (id == -ENOMEM ? id : io_error(fe, path, id)) : frontend_load_file(fe, (uint32_t)id);
		} else {
			continue;
		}
		if (err == -ENOMEM)
			return err;
		if (err && (!ret || ret == -EINVAL))
			ret = err;
	}
	return ret;
}

int frontend_load_dir(struct frontend *fe, const char *dir)
{
	return load_dir(fe, dir, NULL, 0);
}

int frontend_load_path(struct frontend *fe, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return io_error(fe, path, -errno);
	if (S_ISDIR(st.st_mode))
		return frontend_load_dir(fe, path);
	int id = source_add_file(fe->sources, path);
	if (id < 0)
		return id == -ENOMEM ? id : io_error(fe, path, id);
	return frontend_load_file(fe, (uint32_t)id);
}

/* ---- after all inputs ---------------------------------------------------- */

static int ensure_namespace(struct frontend *fe, struct strmap *known, const char *name, struct src_loc loc)
{
	if (!name || strmap_get(known, name, strlen(name)))
		return 0;
	struct ir_namespace *ns = vec_add(fe->arena, &fe->prog->namespaces);
	if (!ns)
		return -ENOMEM;
	ns->name = name;
	ns->loc = loc;
	/* The API server labels every namespace with its name. */
	if (ir_labels_set(fe->arena, &ns->labels, "kubernetes.io/metadata.name", name))
		return -ENOMEM;
	return strmap_set(known, name, strlen(name), ns);
}

/*
 * "Kubernetes demands that the localhost can always reach local pods"
 * (cilium/cilium daemon/cmd: --allow-localhost=auto becomes always in
 * Kubernetes mode): one builtin policy, selecting every pod, isolating
 * nothing, allowing ingress from the host entity. Being a policy like
 * the others, a deny rule still wins over it. Only when the local node
 * is in the inventory with addresses: without them no packet comes from
 * the host identity anyway.
 */
static int allow_localhost(struct frontend *fe)
{
	const struct ir_node *local = NULL;
	for (size_t i = 0; i < fe->prog->nodes.len; i++)
		if (fe->prog->nodes.items[i].local)
			local = &fe->prog->nodes.items[i];
	if (!local || local->n_addrs == 0 || local->localhost_by_policy)
		return 0;
	struct ir_policy *p = ir_policy_new(fe->prog, IR_POLICY_BUILTIN);
	if (!p)
		return -ENOMEM;
	p->name = "allow-localhost";
	p->loc = local->loc;
	p->subject.loc = local->loc;
	p->subject.path = "metadata.annotations";
	struct ir_rule *r = ir_rule_new(fe->prog, p, IR_INGRESS, IR_ALLOW);
	struct ir_peer *host = arena_alloc(fe->arena, sizeof(*host));
	if (!r || !host)
		return -ENOMEM;
	*host = (struct ir_peer){.kind = IR_PEER_ENTITY, .entities = IR_ENTITY_HOST, .loc = local->loc,
				 .path = "metadata.annotations"};
	r->loc = local->loc;
	r->path = "metadata.annotations";
	r->peers = host;
	r->n_peers = 1;
	return 0;
}

int frontend_finish(struct frontend *fe)
{
	if (fe->finished)
		return 0;
	fe->finished = true;
	struct ir_program *prog = fe->prog;
	struct strmap known;
	strmap_init(&known, fe->arena);
	for (size_t i = 0; i < prog->namespaces.len; i++) {
		const char *n = prog->namespaces.items[i].name;
		if (strmap_set(&known, n, strlen(n), &prog->namespaces.items[i]))
			return -ENOMEM;
	}
	/* Referenced but never declared: the inventory may leave Namespaces out. */
	for (size_t i = 0; i < prog->policies.len; i++) {
		const struct ir_policy *p = prog->policies.items[i];
		if (ensure_namespace(fe, &known, p->namespace, p->loc))
			return -ENOMEM;
	}
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		if (ensure_namespace(fe, &known, pod->namespace, pod->loc))
			return -ENOMEM;
	}
	for (size_t i = 0; i < prog->namespaces.len; i++)
		ir_labels_sort(&prog->namespaces.items[i].labels);

	int ret = 0;
	size_t n_local = 0;
	for (size_t i = 0; i < prog->nodes.len; i++)
		n_local += prog->nodes.items[i].local;
	if (prog->nodes.len == 1)
		prog->nodes.items[0].local = true;
	else if (n_local > 1) {
		for (size_t i = 0, seen = 0; i < prog->nodes.len; i++) {
			const struct ir_node *n = &prog->nodes.items[i];
			if (n->local && seen++)
				diag_error(fe->diags, n->loc, "metadata.annotations", "multiple-local-nodes",
					   "polc compiles for one node: mark only that one polc.io/local: \"true\"",
					   "node %s is marked local, but so is another node", n->name);
		}
		ret = -EINVAL;
	}
	int err = frontend_cilium_finish(fe);
	if (err == -ENOMEM)
		return err;
	if (err)
		ret = err;
	if (!ret && allow_localhost(fe) == -ENOMEM)
		return -ENOMEM;
	return ret;
}

int frontend_require_policy(struct frontend *fe)
{
	if (fe->n_policies > 0)
		return 0;
	/* A file that failed to parse may well have held the policy: its error says enough. */
	if (diag_has_errors(fe->diags))
		return -EINVAL;
	const char *hint = "give polc at least one NetworkPolicy or CiliumNetworkPolicy; Namespaces, Pods and "
			   "Nodes are inventory";
	/* polc lint checks what it is given: an input without policy is worth a warning, not a failure. */
	enum diag_severity sev = fe->opts.mode == FRONTEND_LINT ? DIAG_WARNING : DIAG_ERROR;
	int ret = sev == DIAG_ERROR ? -EINVAL : 0;
	if (fe->have_non_policy) {
		diag_report(fe->diags, sev, fe->first_non_policy_loc, "kind", "no-policy", hint,
			   "no policy in input: unsupported kind %s (apiVersion %s); expected networking.k8s.io/v1 "
			   "NetworkPolicy or cilium.io/v2 CiliumNetworkPolicy",
			   fe->first_non_policy_kind, fe->first_non_policy_api_version);
	} else if (fe->first_file) {
		struct src_loc loc = {.file = fe->first_file, .line = 1, .col = 1};
		diag_report(fe->diags, sev, loc, NULL, "no-policy", hint, "no policy documents in input%s",
			    fe->n_documents ? "" : " (the input has no documents)");
	} else {
		diag_report(fe->diags, sev, (struct src_loc){0}, NULL, "no-policy", hint,
			    "no policy documents in input");
	}
	return ret;
}
