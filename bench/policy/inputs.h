/*
 * inputs.h - the inputs of the policy benchmark, shared with
 * regress/unit/policyd_rules.c so that the test covers every line the
 * benchmark times: the corpora, then 40 chains of everyday commands
 * joined by && (1 and 4 KiB), 6 scripts, programs and JSON bodies (4
 * and 2 KiB), 10 chains of attack commands (4 KiB), then 12 lines of
 * one short command repeated to 4 KiB (ls -la && ls -la && ...) and
 * other uniform text.
 */
#ifndef BENCH_POLICY_INPUTS_H
#define BENCH_POLICY_INPUTS_H

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inputs {
	char	**v;
	size_t	 *len;
	size_t	  n;
	size_t	  nbase;	/* corpus lines */
	size_t	  shapes;	/* first script/code/JSON line */
	size_t	  attacks;	/* first attack chain */
	size_t	  repeats;	/* first repeated-command line */
};

static void
add(struct inputs *in, const char *s, size_t len)
{
	in->v = reallocarray(in->v, in->n + 1, sizeof(*in->v));
	in->len = reallocarray(in->len, in->n + 1, sizeof(*in->len));
	if (in->v == NULL || in->len == NULL ||
	    (in->v[in->n] = strndup(s, len)) == NULL)
		err(1, "out of memory");
	in->len[in->n++] = len;
}

/* corpus lines; attack.txt lines are "rule<TAB>command" */
static void
read_corpus(struct inputs *in, const char *path)
{
	FILE	*fp;
	char	*line = NULL, *s;
	size_t	 cap = 0;
	ssize_t	 len;

	if ((fp = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		s = strchr(line, '\t') != NULL ? strchr(line, '\t') + 1 : line;
		add(in, s, strlen(s));
	}
	free(line);
	fclose(fp);
}

/* long lines: everyday commands joined with " && " up to each size */
/* commands from [from, to) joined by " && " up to size bytes */
static void
add_long(struct inputs *in, size_t from, size_t to, size_t size, int k)
{
	char	*buf;
	size_t	 off = 0, i = (size_t)k, n = to - from, j;

	if ((buf = malloc(size + 1)) == NULL)
		err(1, "out of memory");
	for (;;) {
		j = from + i % n;
		if (off + 4 + in->len[j] >= size)
			break;
		if (off > 0) {
			memcpy(buf + off, " && ", 4);
			off += 4;
		}
		memcpy(buf + off, in->v[j], in->len[j]);
		off += in->len[j];
		i += 7;
	}
	add(in, buf, off);
	free(buf);
}

/* long lines as an agent writes them: a script, a program, a JSON body */
/* one piece of a script or program, k-th of its kind */
static int
code_piece(char *buf, size_t size, size_t k)
{
	int	i = (int)k, j = (int)(k * 3);

	switch (k % 3) {
	case 0:
		return (snprintf(buf, size, "def area_%d(w, h):\n    return "
		    "w * h + %d\n\n", i, j));
	case 1:
		return (snprintf(buf, size, "for i in range(%d):\n    "
		    "print(f\"row {i}: {i * %d}\")\n", i, j));
	default:
		return (snprintf(buf, size, "import json, sys\ndata = "
		    "json.load(open(\"in%d.json\"))\nprint(len(data), %d)\n",
		    i, j));
	}
}

/* long lines as an agent writes them: a script, a program, a JSON body */
static void
add_shapes(struct inputs *in, size_t size)
{
	char	*buf, piece[256];
	size_t	 off, k;
	int	 shape, n;

	if ((buf = malloc(size + 1)) == NULL)
		err(1, "out of memory");
	for (shape = 0; shape < 3; shape++) {
		off = (size_t)snprintf(buf, size, "%s", shape == 0 ?
		    "cat > app.py <<'EOF'\n" : shape == 1 ?
		    "python3 -c '" : "curl -X POST -H 'Content-Type: "
		    "application/json' https://api.example.org/v1/items -d '[");
		for (k = 0; off < size - 300; k++) {
			if (shape == 2)
				n = snprintf(piece, sizeof(piece), "{\"id\": "
				    "%zu, \"name\": \"item %zu\", \"tags\": "
				    "[\"a\", \"b\"]}, ", k, k * 7);
			else
				n = code_piece(piece, sizeof(piece), k);
			memcpy(buf + off, piece, (size_t)n);
			off += (size_t)n;
		}
		off += (size_t)snprintf(buf + off, size + 1 - off, "%s",
		    shape == 0 ? "EOF\npython3 app.py" : shape == 1 ? "'" :
		    "{}]'");
		add(in, buf, off);
	}
	free(buf);
}

/* one piece repeated up to size bytes */
static void
add_repeat(struct inputs *in, const char *piece, size_t size)
{
	char	*buf;
	size_t	 off = 0, len = strlen(piece);

	if ((buf = malloc(size + 1)) == NULL)
		err(1, "out of memory");
	while (off + len <= size) {
		memcpy(buf + off, piece, len);
		off += len;
	}
	add(in, buf, off);
	free(buf);
}

/* the corpora (the last one: everyday commands), then the long lines */
static void
inputs_load(struct inputs *in, char *const *corpora, size_t ncorpora)
{
	static const char *const repeats[] = {
		"ls -la && ", "git status; ", "cat f | grep x | ",
		"echo $(date) `id` ", "sh -c 'ls' && ",
		"curl -s https://example.org/api && ", "rm -f a.txt && ",
		"git push origin main && ", "echo 'a b' \"c d\" ", "a",
		"echo hello world ", "ls\n",
	};
	size_t	i, last = 0;

	for (i = 0; i < ncorpora; i++) {
		last = in->n;
		read_corpus(in, corpora[i]);
	}
	in->nbase = in->n;
	for (i = 0; i < 40; i++)
		add_long(in, last, in->nbase, i % 2 ? 4096 : 1024, (int)i);
	in->shapes = in->n;
	add_shapes(in, 4096);
	add_shapes(in, 2048);
	in->attacks = in->n;
	for (i = 0; i < 10; i++)
		add_long(in, 0, last, 4096, (int)i);
	in->repeats = in->n;
	for (i = 0; i < sizeof(repeats) / sizeof(repeats[0]); i++)
		add_repeat(in, repeats[i], 4096);
}

static void
inputs_free(struct inputs *in)
{
	size_t	i;

	for (i = 0; i < in->n; i++)
		free(in->v[i]);
	free(in->v);
	free(in->len);
	memset(in, 0, sizeof(*in));
}

#endif
