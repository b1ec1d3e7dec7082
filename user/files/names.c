// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Name resolution pipeline: remap -> alias -> serve-any -> ignore-case.
 * See names.h for what each stage does and why confinement is not here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "path.h"

struct name_alias {
	char *name;             /* leading '/' stripped */
	char *file;
};

struct name_resolver {
	struct remap_rules *rules;      /* NULL: no -m */
	struct name_alias *alias;
	unsigned int n_aliases;
	char *serve_any;
	char *root_prefix;      /* without trailing '/'; NULL with -s */
	bool ignore_case;
	int root_fd;
};

static const char *skip_slashes(const char *s)
{
	while (*s == '/')
		s++;
	return s;
}

/* True when s has a ".." component: refused whatever produced it. */
static bool has_dotdot(const char *s)
{
	for (const char *p = s; (p = strstr(p, "..")); p += 2)
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

/* Split "NAME=FILE"; both sides must be non-empty. */
static int split_alias(const char *arg, const char **eq)
{
	*eq = strchr(arg, '=');
	if (!*eq || *eq == arg || !(*eq)[1] || !*skip_slashes(arg))
		return -EINVAL;
	return 0;
}

/*
 * Check everything but the map file; print each problem to err (may be
 * NULL). Warnings about missing files need root_fd. Returns the error count.
 */
static unsigned int check_aliases(const struct names_config *cfg, FILE *err)
{
	unsigned int bad = 0;
	struct stat st;

	for (unsigned int i = 0; i < cfg->n_aliases; i++) {
		const char *arg = cfg->aliases[i], *eq;

		if (split_alias(arg, &eq) < 0) {
			if (err)
				fprintf(err, "--alias \"%s\": expected NAME=FILE, both non-empty\n", arg);
			bad++;
			continue;
		}
		if (has_dotdot(eq + 1) || !*skip_slashes(eq + 1)) {
			if (err)
				fprintf(err, "--alias \"%s\": FILE must be a name beneath the root, without \"..\"\n",
					arg);
			bad++;
			continue;
		}
		for (unsigned int j = 0; j < i; j++) {
			const char *other = cfg->aliases[j], *oeq;
			const char *a = skip_slashes(arg), *b = skip_slashes(other);
			size_t len = (size_t)(eq - a);

			if (split_alias(other, &oeq) < 0)
				continue;
			if ((size_t)(oeq - b) == len && !strncmp(a, b, len)) {
				if (err)
					fprintf(err, "--alias \"%s\": NAME already given by --alias \"%s\"\n",
						arg, other);
				bad++;
				break;
			}
		}
		if (cfg->root_fd >= 0 && fstatat(cfg->root_fd, skip_slashes(eq + 1), &st, 0) < 0 && err)
			fprintf(err, "warning: --alias \"%s\": %s does not exist beneath the root (yet)\n",
				arg, eq + 1);
	}
	if (cfg->serve_any) {
		if (has_dotdot(cfg->serve_any) || !*skip_slashes(cfg->serve_any)) {
			if (err)
				fprintf(err, "--serve-any \"%s\": must be a name beneath the root, without \"..\"\n",
					cfg->serve_any);
			bad++;
		} else if (cfg->root_fd >= 0 &&
			   fstatat(cfg->root_fd, skip_slashes(cfg->serve_any), &st, 0) < 0 && err) {
			fprintf(err, "warning: --serve-any \"%s\": does not exist beneath the root (yet)\n",
				cfg->serve_any);
		}
	}
	return bad;
}

int names_check(const struct names_config *cfg, FILE *err)
{
	struct remap_rules *rules = NULL;
	int rc = 0;

	if (cfg->map_file) {
		rc = remap_load(cfg->map_file, &rules, err);
		remap_free(rules);
	}
	if (check_aliases(cfg, err) && !rc)
		rc = -EINVAL;
	return rc;
}

void names_free(struct name_resolver *nr)
{
	if (!nr)
		return;
	remap_free(nr->rules);
	for (unsigned int i = 0; i < nr->n_aliases; i++) {
		free(nr->alias[i].name);
		free(nr->alias[i].file);
	}
	free(nr->alias);
	free(nr->serve_any);
	free(nr->root_prefix);
	free(nr);
}

/* First line of text into err, plus how many more lines there are. */
static void first_problem(const char *text, char *err, size_t errlen)
{
	size_t len = strcspn(text, "\n");
	unsigned int more = 0;

	for (const char *p = text + len; *p; p++)
		if (*p == '\n' && p[1])
			more++;
	if (more)
		snprintf(err, errlen, "%.*s (and %u more problem%s: run with --check-config)",
			 (int)len, text, more, more > 1 ? "s" : "");
	else
		snprintf(err, errlen, "%.*s", (int)len, text);
}

int names_init(struct name_resolver **out, const struct names_config *cfg, char *err, size_t errlen)
{
	struct name_resolver *nr = NULL;
	char *report = NULL;
	size_t report_len = 0;
	FILE *errs = NULL;
	int rc = 0;

	if (errlen)
		err[0] = '\0';
	errs = open_memstream(&report, &report_len);
	nr = calloc(1, sizeof(*nr));
	if (!errs || !nr) {
		rc = -ENOMEM;
		goto cleanup;
	}
	nr->root_fd = cfg->root_fd;
	nr->ignore_case = cfg->ignore_case;
	if (cfg->map_file) {
		rc = remap_load(cfg->map_file, &nr->rules, errs);
		if (rc)
			goto cleanup;
	}
	if (check_aliases(&(struct names_config){ .aliases = cfg->aliases,
						  .n_aliases = cfg->n_aliases,
						  .serve_any = cfg->serve_any,
						  .root_fd = -1 }, errs)) {
		rc = -EINVAL;
		goto cleanup;
	}
	if (cfg->n_aliases) {
		nr->alias = calloc(cfg->n_aliases, sizeof(*nr->alias));
		if (!nr->alias) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	for (unsigned int i = 0; i < cfg->n_aliases; i++) {
		const char *eq = strchr(cfg->aliases[i], '=');
		const char *name = skip_slashes(cfg->aliases[i]);

		nr->alias[i].name = strndup(name, (size_t)(eq - name));
		nr->alias[i].file = strdup(skip_slashes(eq + 1));
		nr->n_aliases++;
		if (!nr->alias[i].name || !nr->alias[i].file) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	if (cfg->root_prefix && strcmp(skip_slashes(cfg->root_prefix), "")) {
		size_t len = strlen(cfg->root_prefix);

		while (len > 1 && cfg->root_prefix[len - 1] == '/')
			len--;
		nr->root_prefix = strndup(cfg->root_prefix, len);
		if (!nr->root_prefix) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	if (cfg->serve_any) {
		nr->serve_any = strdup(skip_slashes(cfg->serve_any));
		if (!nr->serve_any) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	*out = nr;
	nr = NULL;
cleanup:
	if (errs) {
		fclose(errs);
		if (rc && errlen) {
			if (report && report[0])
				first_problem(report, err, errlen);
			else
				snprintf(err, errlen, "name resolution setup: %s", strerror(-rc));
		}
	}
	free(report);
	names_free(nr);
	return rc;
}

int names_active(const struct name_resolver *nr)
{
	return nr && (remap_count(nr->rules) || nr->n_aliases || nr->serve_any || nr->ignore_case);
}

__attribute__((format(printf, 2, 3)))
static void why_add(struct names_result *res, const char *fmt, ...)
{
	size_t len = strlen(res->why);
	va_list ap;

	if (len + 1 >= sizeof(res->why))
		return;
	va_start(ap, fmt);
	vsnprintf(res->why + len, sizeof(res->why) - len, fmt, ap);
	va_end(ap);
}

/* Directory rel beneath root, never outside it (openat2 checks in the kernel). */
static int open_dir_beneath(int root_fd, const char *rel)
{
	return path_openat_beneath(root_fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
}

/* Entry of dir_fd equal to name ignoring ASCII case; first in strcmp order. */
static bool find_folded(int dir_fd, const char *name, char *found, size_t cap)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	bool hit = false;
	DIR *dir;

	if (fd < 0)
		return false;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return false;
	}
	while ((de = readdir(dir))) {
		if (strcasecmp(de->d_name, name) || strlen(de->d_name) >= cap)
			continue;
		if (!hit || strcmp(de->d_name, found) < 0)
			strcpy(found, de->d_name);
		hit = true;
	}
	closedir(dir);
	return hit;
}

/*
 * Rewrite path (relative, no "..") component by component to existing
 * entries, ignoring case where the exact name is missing. Empty and "."
 * components are dropped. Stops folding at the first component that cannot
 * be resolved: the rest is kept as given.
 */
static int fold_case(int root_fd, char *path, size_t cap, int *changed)
{
	char *in = strdup(path), *save = NULL, *comp;
	char entry[256];
	size_t len = 0;
	int dir_fd = -1;
	bool walking = true;

	*changed = 0;
	if (!in)
		return -ENOMEM;
	path[0] = '\0';
	for (comp = strtok_r(in, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		struct stat st;
		size_t clen;

		if (!strcmp(comp, "."))
			continue;
		if (walking) {
			/* The directory holding comp: what we built so far. */
			dir_fd = open_dir_beneath(root_fd, path);
			if (dir_fd < 0)
				walking = false;
		}
		if (walking && fstatat(dir_fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT && find_folded(dir_fd, comp, entry, sizeof(entry))) {
				comp = entry;
				*changed = 1;
			} else {
				walking = false;
			}
		}
		if (dir_fd >= 0) {
			close(dir_fd);
			dir_fd = -1;
		}
		clen = strlen(comp);
		if (len + (len ? 1 : 0) + clen + 1 > cap) {
			free(in);
			return -ENAMETOOLONG;
		}
		if (len)
			path[len++] = '/';
		memcpy(path + len, comp, clen + 1);
		len += clen;
	}
	free(in);
	return 0;
}

int names_resolve(const struct name_resolver *nr, const char *requested, int is_write,
		  const struct sockaddr *client, struct names_result *res)
{
	char work[TFTP_MAX_NAME + 1];
	const char *name;
	int rc;

	memset(res, 0, sizeof(*res));
	why_add(res, "\"%s\"", requested);
	if (strlen(requested) >= sizeof(work)) {
		why_add(res, ": name too long");
		return -EACCES;
	}
	strcpy(work, requested);

	if (nr && nr->rules) {
		struct remap_verdict v;

		rc = remap_apply(nr->rules, requested, is_write, client, work, sizeof(work), &v);
		res->remap_line = v.line;
		switch (rc) {
		case 0:
			break;
		case -EACCES:
			snprintf(res->client_msg, sizeof(res->client_msg), "%s", v.message);
			why_add(res, ": refused by remap rule at line %u", v.line);
			return -EACCES;
		case -ELOOP:
			why_add(res, ": remap rules did not end after %u steps (line %u), refused",
				REMAP_MAX_STEPS, v.line);
			return -EACCES;
		case -ENAMETOOLONG:
			why_add(res, ": remap rule at line %u made the name too long, refused", v.line);
			return -EACCES;
		default:
			return rc;
		}
		if (v.rewrites) {
			res->source = NAMES_REMAPPED;
			why_add(res, " -> remap \"%s\"", work);
		}
	}

	name = work;
	if (nr && nr->root_prefix) {
		size_t len = strlen(nr->root_prefix);

		if (!strncmp(name, nr->root_prefix, len) && name[len] == '/')
			name += len + 1;
	}
	name = skip_slashes(name);
	if (nr && !is_write) {
		bool aliased = false;

		for (unsigned int i = 0; i < nr->n_aliases; i++) {
			if (!strcmp(name, nr->alias[i].name)) {
				snprintf(work, sizeof(work), "%s", nr->alias[i].file);
				res->source = NAMES_ALIAS;
				why_add(res, " -> alias \"%s\"", work);
				name = work;
				aliased = true;
				break;
			}
		}
		if (!aliased && nr->serve_any) {
			snprintf(work, sizeof(work), "%s", nr->serve_any);
			res->source = NAMES_SERVE_ANY;
			why_add(res, " -> serve-any \"%s\"", work);
			name = work;
		}
	}

	if (!*name) {
		why_add(res, ": empty name, refused");
		return -EACCES;
	}
	if (has_dotdot(name)) {
		why_add(res, ": \"..\" in \"%s\", refused", name);
		return -EACCES;
	}
	memmove(res->path, name, strlen(name) + 1);

	if (nr && nr->ignore_case && nr->root_fd >= 0) {
		rc = fold_case(nr->root_fd, res->path, sizeof(res->path), &res->case_folded);
		if (rc == -ENAMETOOLONG) {
			why_add(res, ": name too long, refused");
			return -EACCES;
		}
		if (rc)
			return rc;
		/* "." components are dropped: "./." folds to nothing */
		if (!res->path[0]) {
			why_add(res, ": empty name, refused");
			return -EACCES;
		}
		if (res->case_folded)
			why_add(res, " -> ignore-case \"%s\"", res->path);
	}
	return 0;
}
