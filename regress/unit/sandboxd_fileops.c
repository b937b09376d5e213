/*
 * sandboxd_fileops.c - workspace file operations: every tool, and the
 * escapes that must fail (symlinks, hard links, "..", absolute paths);
 * soft delete and restore; the published-port pool.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "regress.h"
#include "../../sandboxd/sandboxd.h"

static char	root[256], outside[300];
static struct ws ws;

/* grep's three steps, policyd allowing every file */
static int
grep_all(json_t *req, json_t **res, struct fserr *e)
{
	struct grep	*g;
	size_t		 i;
	int		 r;

	*res = NULL;
	if (sbx_grep_start(&ws, req, &g, e) == -1)
		return (-1);
	for (i = 0; i < sbx_grep_count(g); i++)
		sbx_grep_decide(g, i, NULL);
	r = sbx_grep_finish(&ws, g, res, e);
	sbx_grep_free(g);
	return (r);
}

static int
run(enum fileop op, const char *js, json_t **res, struct fserr *e)
{
	json_t	*req;
	int	 r, fd = -1;

	req = json_loads(js, 0, NULL);
	if (req == NULL)
		abort();
	if (op == FOP_GREP)
		r = grep_all(req, res, e);
	else
		r = fileop_run(&ws, op, req, res, &fd, e);
	if (fd != -1)
		close(fd);
	json_decref(req);
	return (r);
}

static const char *
code_of(enum fileop op, const char *js)
{
	static struct fserr	 e;
	json_t			*res = NULL;

	if (run(op, js, &res, &e) == 0) {
		json_decref(res);
		return ("ok");
	}
	return (e.code);
}

static void	sh(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char	cmd[4096];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		abort();
}

static void
test_basic(void)
{
	struct fserr	 e;
	json_t		*res;
	int		 r;

	res = NULL;
	r = run(FOP_WRITE, "{\"path\":\"/workspace/dir/a.txt\","
	    "\"content\":\"hello world\\nsecond line\\n\"}", &res, &e);
	ok(r == 0 && json_is_true(json_object_get(res, "created")),
	    "write creates parents and file");
	json_decref(res);
	r = run(FOP_READ, "{\"path\":\"dir/a.txt\"}", &res, &e);
	is_str(r == 0 ? json_string_value(json_object_get(res, "content")) :
	    e.msg, "hello world\nsecond line\n", "read back");
	json_decref(res);
	r = run(FOP_READ, "{\"path\":\"dir/a.txt\",\"offset\":6,\"limit\":5}",
	    &res, &e);
	is_str(r == 0 ? json_string_value(json_object_get(res, "content")) :
	    e.msg, "world", "read offset and limit");
	ok(json_is_true(json_object_get(res, "truncated")), "says truncated");
	json_decref(res);
	r = run(FOP_WRITE, "{\"path\":\"dir/a.txt\",\"content\":\"third\\n\","
	    "\"append\":true}", &res, &e);
	ok(r == 0 && json_integer_value(json_object_get(res, "size")) == 30,
	    "append");
	json_decref(res);
	is_str(code_of(FOP_EDIT, "{\"path\":\"dir/a.txt\",\"find\":\"nope\","
	    "\"replace\":\"x\"}"), "no-match", "edit: absent text");
	is_str(code_of(FOP_EDIT, "{\"path\":\"dir/a.txt\",\"find\":\"i\","
	    "\"replace\":\"x\"}"), "ambiguous", "edit: ambiguous text");
	r = run(FOP_EDIT, "{\"path\":\"dir/a.txt\",\"find\":\"world\","
	    "\"replace\":\"there\"}", &res, &e);
	ok(r == 0 && json_integer_value(json_object_get(res,
	    "replacements")) == 1, "edit once");
	json_decref(res);
	r = run(FOP_READ, "{\"path\":\"dir/a.txt\"}", &res, &e);
	is_str(r == 0 ? json_string_value(json_object_get(res, "content")) :
	    e.msg, "hello there\nsecond line\nthird\n", "edit applied");
	json_decref(res);
	r = run(FOP_WRITE, "{\"path\":\"bin.dat\",\"content\":\"AP8A\","
	    "\"encoding\":\"base64\"}", &res, &e);
	json_decref(res);
	r = run(FOP_READ, "{\"path\":\"bin.dat\"}", &res, &e);
	is_str(r == 0 ? json_string_value(json_object_get(res, "encoding")) :
	    e.msg, "base64", "binary read as base64");
	json_decref(res);
	r = run(FOP_GLOB, "{\"pattern\":\"**/*.txt\"}", &res, &e);
	ok(r == 0 && json_array_size(json_object_get(res, "matches")) == 1 &&
	    strcmp(json_string_value(json_array_get(json_object_get(res,
	    "matches"), 0)), "dir/a.txt") == 0, "glob **/*.txt");
	json_decref(res);
	r = run(FOP_GLOB, "{\"pattern\":\"*.txt\",\"path\":\"dir\"}", &res,
	    &e);
	is_str(r == 0 ? json_string_value(json_array_get(json_object_get(res,
	    "matches"), 0)) : e.msg, "dir/a.txt", "glob below a directory "
	    "reports workspace paths");
	json_decref(res);
	r = run(FOP_GREP, "{\"pattern\":\"^SEC\",\"ignore_case\":true}", &res,
	    &e);
	ok(r == 0 && json_array_size(json_object_get(res, "matches")) == 1 &&
	    json_integer_value(json_object_get(json_array_get(
	    json_object_get(res, "matches"), 0), "line")) == 2, "grep");
	json_decref(res);
	r = run(FOP_LIST, "{\"recursive\":true}", &res, &e);
	ok(r == 0 && json_array_size(json_object_get(res, "entries")) == 3,
	    "list recursive: dir, dir/a.txt, bin.dat");
	json_decref(res);
	r = run(FOP_STAT, "{\"path\":\"dir\"}", &res, &e);
	is_str(r == 0 ? json_string_value(json_object_get(res, "type")) :
	    e.msg, "dir", "stat dir");
	json_decref(res);
	ok(sbx_glob_match("a/**/b", "a/b") && sbx_glob_match("*.c", "x.c") &&
	    !sbx_glob_match("*.c", "d/x.c") && sbx_glob_match("[a-c]?", "bz") &&
	    !sbx_glob_match("[!a-c]?", "bz"), "glob matcher");
}

static void
test_escapes(void)
{
	struct fserr	 e;
	json_t		*res = NULL;
	char		 p[PATH_MAX * 2];
	struct stat	 st;
	int		 r;

	sh("ln -s %s %s/1/ws/evil", outside, root);
	sh("ln -s %s/secret %s/1/ws/evilfile", outside, root);
	sh("ln %s/secret %s/1/ws/hard", outside, root);
	is_str(code_of(FOP_READ, "{\"path\":\"evil/secret\"}"), "escape",
	    "read through a symlinked dir");
	is_str(code_of(FOP_READ, "{\"path\":\"evilfile\"}"), "escape",
	    "read through a symlink");
	is_str(code_of(FOP_OPEN, "{\"path\":\"evilfile\"}"), "escape",
	    "open through a symlink");
	is_str(code_of(FOP_READ, "{\"path\":\"hard\"}"), "escape",
	    "read of a hard link");
	is_str(code_of(FOP_EDIT, "{\"path\":\"hard\",\"find\":\"TOP\","
	    "\"replace\":\"x\"}"), "escape", "edit of a hard link");
	is_str(code_of(FOP_READ, "{\"path\":\"../../outside/secret\"}"),
	    "escape", "read with ..");
	is_str(code_of(FOP_READ, "{\"path\":\"dir/../../2/ws/x\"}"), "escape",
	    "read into another workspace with ..");
	is_str(code_of(FOP_WRITE, "{\"path\":\"evil/new\",\"content\":\"x\"}"),
	    "escape", "write through a symlinked dir");
	is_str(code_of(FOP_WRITE, "{\"path\":\"../x\",\"content\":\"x\"}"),
	    "escape", "write with ..");
	is_str(code_of(FOP_LIST, "{\"path\":\"evil\"}"), "escape",
	    "list through a symlink");
	is_str(code_of(FOP_WRITE, "{\"path\":\"evilfile\","
	    "\"content\":\"x\",\"append\":true}"), "escape",
	    "append through a symlink");
	/* writing over the link replaces the link, never the target */
	r = run(FOP_WRITE, "{\"path\":\"evilfile\",\"content\":\"mine\"}",
	    &res, &e);
	json_decref(res);
	snprintf(p, sizeof(p), "%s/secret", outside);
	ok(r == 0 && stat(p, &st) == 0 && st.st_size == 11 &&
	    st.st_nlink == 2, "write over a symlink leaves the target alone");
	r = run(FOP_WRITE, "{\"path\":\"hard\",\"content\":\"mine too\"}",
	    &res, &e);
	json_decref(res);
	ok(r == 0 && stat(p, &st) == 0 && st.st_size == 11 && st.st_nlink == 1,
	    "write over a hard link breaks the link, target intact");
	r = run(FOP_GREP, "{\"pattern\":\"TOP\"}", &res, &e);
	ok(r == 0 && json_array_size(json_object_get(res, "matches")) == 0,
	    "grep does not follow links out");
	json_decref(res);
	r = run(FOP_DELETE, "{\"path\":\"evil\"}", &res, &e);
	json_decref(res);
	snprintf(p, sizeof(p), "%s/secret", outside);
	ok(r == 0 && stat(p, &st) == 0, "deleting a symlink keeps its target");
}

static void
test_trash(void)
{
	struct fserr	 e;
	json_t		*res = NULL, *list;
	char		 id[64];
	int		 r;

	r = run(FOP_DELETE, "{\"path\":\"dir\"}", &res, &e);
	ok(r == 0, "delete a directory");
	strlcpy(id, r == 0 ? json_string_value(json_object_get(res,
	    "trash_id")) : "", sizeof(id));
	json_decref(res);
	is_str(code_of(FOP_STAT, "{\"path\":\"dir/a.txt\"}"), "not-found",
	    "gone from the workspace");
	list = sbx_trash_list(&ws, &e);
	ok(list != NULL && json_array_size(list) == 2, "trash lists it "
	    "(and the symlink)");
	json_decref(list);
	is_str(code_of(FOP_STAT, "{\"path\":\"/workspace\"}"), "ok",
	    "stat of the root");
	ok(sbx_trash_restore(&ws, "../../etc", &res, &e) == -1 &&
	    strcmp(e.code, "invalid") == 0, "restore refuses a bad id");
	r = sbx_trash_restore(&ws, id, &res, &e);
	ok(r == 0, "restore");
	json_decref(res);
	is_str(code_of(FOP_STAT, "{\"path\":\"dir/a.txt\"}"), "ok",
	    "restored");
	r = sbx_trash_restore(&ws, id, &res, &e);
	ok(r == -1, "restore twice fails");
}

static void
test_ports(void)
{
	struct portpool	 pp;
	char		 path[400];
	int		 a, b, c, d;

	snprintf(path, sizeof(path), "%s/ports", root);
	ok(sbx_ports_init(&pp, 20000, 20029, 10, path) == 0, "port pool");
	ok(sbx_ports_get(&pp, 111, 0, &a) == -1, "no slot without alloc");
	ok(sbx_ports_get(&pp, 111, 1, &a) == 0 && a == 20000, "first slot");
	ok(sbx_ports_get(&pp, 222, 1, &b) == 0 && b == 20010, "second slot");
	ok(sbx_ports_get(&pp, 333, 1, &c) == 0 && c == 20020, "third slot");
	ok(sbx_ports_get(&pp, 444, 1, &d) == -1, "pool exhausted");
	sbx_ports_free(&pp);
	ok(sbx_ports_init(&pp, 20000, 20029, 10, path) == 0 &&
	    sbx_ports_get(&pp, 222, 0, &b) == 0 && b == 20010,
	    "persisted across a restart");
	ok(sbx_ports_get(&pp, 111, 1, &a) == 0 && a == 20000, "same user, same "
	    "ports");
	sbx_ports_free(&pp);
}

/*
 * A hostile pattern: 400 lines of 'a' x 28 + 'b' against ^(a|aa)+$
 * took ~75 s without limits.  With them it ends in a clear error, and
 * quickly (5 s is generous: the limit is hit in milliseconds).
 */
static void
test_grep_limits(void)
{
	struct timespec	 t0, t1;
	struct fserr	 e;
	json_t		*res = NULL;
	FILE		*f;
	char		 p[512];
	int		 i, r;

	snprintf(p, sizeof(p), "%s/1/ws/redos.txt", root);
	if ((f = fopen(p, "w")) == NULL)
		abort();
	for (i = 0; i < 400; i++)
		fprintf(f, "aaaaaaaaaaaaaaaaaaaaaaaaaaaab\n");
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run(FOP_GREP, "{\"pattern\":\"^(a|aa)+$\",\"glob\":"
	    "\"redos.txt\"}", &res, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	json_decref(res);
	ok(r == -1 && strcmp(e.code, "too-complex") == 0 &&
	    strstr(e.msg, "match limit") != NULL,
	    "catastrophic backtracking: a clear error (%s)", r == -1 ? e.msg :
	    "no error");
	ok(t1.tv_sec - t0.tv_sec < 5, "and within 5 s (%ld s)",
	    (long)(t1.tv_sec - t0.tv_sec));
	r = run(FOP_GREP, "{\"pattern\":\"^(a|aa)+b$\",\"glob\":"
	    "\"redos.txt\",\"limit\":1000}", &res, &e);
	ok(r == 0 && json_array_size(json_object_get(res, "matches")) == 400,
	    "an ordinary pattern over the same lines matches all 400");
	json_decref(res);
	r = run(FOP_GREP, "{\"pattern\":\"(\"}", &res, &e);
	ok(r == -1 && strcmp(e.code, "invalid") == 0 &&
	    strstr(e.msg, "offset") != NULL, "a bad pattern: invalid, with "
	    "the offset");
	snprintf(p, sizeof(p), "rm -f %s/1/ws/redos.txt", root);
	sh("%s", p);
}

int
main(void)
{
	char	tmpl[] = "/tmp/sbx-fileops.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		abort();
	strlcpy(root, tmpl, sizeof(root));
	snprintf(outside, sizeof(outside), "%s/outside", root);
	sh("mkdir -p %s/1/ws %s/1/trash %s/2/ws", root, root, root);
	sh("mkdir -p %s && echo TOP SECRET > %s/secret", outside, outside);
	if (sbx_ws_open_dirs(&ws, root, 1) == -1)
		abort();
	ws.uid = getuid();
	ws.gid = getgid();
	ws.maxsize = 1 << 20;
	test_basic();
	test_escapes();
	test_trash();
	test_grep_limits();
	test_ports();
	sbx_ws_close(&ws);
	sh("rm -rf %s", root);
	return (done_testing());
}
