/*
 * context.c - keeping the model's context valid.
 *
 * context_trim() drops the oldest turns until the messages fit a byte
 * budget.  An assistant message that called tools and the tool results
 * that answer it are one unit: they are kept or dropped together, so a
 * tool result never loses its call (which OpenAI-compatible servers
 * reject).  Orphaned results are dropped and calls left without a
 * result (a crash mid-turn) get a result saying so.
 *
 * toolargs_repair() turns the arguments a model wrote for a tool call
 * into a JSON object when they are almost JSON: code fences, text
 * around the object, trailing commas, raw newlines in strings,
 * unclosed strings, brackets and braces.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

struct unit {
	size_t	first;		/* index of the first message */
	size_t	n;		/* messages in the unit */
	size_t	bytes;
};

static size_t
msg_bytes(json_t *m)
{
	char	*s;
	size_t	 n;

	if ((s = json_dumps(m, JSON_COMPACT)) == NULL)
		return (0);
	n = strlen(s) + 1;	/* and a comma in the array */
	free(s);
	return (n);
}

static int
call_has_id(json_t *assistant, const char *id)
{
	json_t	*calls, *c;
	size_t	 i;

	calls = json_object_get(assistant, "tool_calls");
	json_array_foreach(calls, i, c) {
		const char *cid = json_string_value(json_object_get(c, "id"));

		if (cid != NULL && id != NULL && strcmp(cid, id) == 0)
			return (1);
	}
	return (0);
}

static const char *
role_of(json_t *m)
{
	const char	*r = json_string_value(json_object_get(m, "role"));

	return (r != NULL ? r : "");
}

/* the results of a unit's calls, with stand-ins for missing ones */
static int
append_unit(json_t *out, json_t *msgs, const struct unit *u)
{
	json_t	*head = json_array_get(msgs, u->first), *calls, *c, *r;
	size_t	 i, k;
	int	 found;

	for (k = 0; k < u->n; k++)
		if (json_array_append(out, json_array_get(msgs,
		    u->first + k)) == -1)
			return (-1);
	calls = json_object_get(head, "tool_calls");
	if (strcmp(role_of(head), "assistant") != 0 || !json_is_array(calls))
		return (0);
	json_array_foreach(calls, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));

		found = 0;
		for (k = 1; k < u->n; k++) {
			json_t *t = json_array_get(msgs, u->first + k);
			const char *tid = json_string_value(
			    json_object_get(t, "tool_call_id"));

			if (tid != NULL && id != NULL && strcmp(tid, id) == 0)
				found = 1;
		}
		if (found)
			continue;
		r = json_pack("{s:s, s:s, s:s}", "role", "tool",
		    "tool_call_id", id != NULL ? id : "",
		    "content", "(no result: the tool was interrupted)");
		if (r == NULL || json_array_append_new(out, r) == -1)
			return (-1);
	}
	return (0);
}

/*
 * A new array of the most recent units of msgs fitting max_bytes (and
 * max_msgs messages, unless 0).  The last unit is always kept.
 */
json_t *
context_trim(json_t *msgs, size_t max_bytes, size_t max_msgs)
{
	struct unit	*u = NULL, *nu;
	json_t		*out, *m;
	size_t		 i, nunits = 0, total = 0, count = 0, keep;

	if ((out = json_array()) == NULL)
		return (NULL);
	if (!json_is_array(msgs) || json_array_size(msgs) == 0)
		return (out);
	json_array_foreach(msgs, i, m) {
		const char *role = role_of(m);

		if (!json_is_object(m))
			continue;
		if (strcmp(role, "tool") == 0) {
			const char *id = json_string_value(
			    json_object_get(m, "tool_call_id"));
			/* joins the unit whose call it answers */
			if (nunits > 0 && call_has_id(json_array_get(msgs,
			    u[nunits - 1].first), id) &&
			    u[nunits - 1].first + u[nunits - 1].n == i) {
				u[nunits - 1].n++;
				u[nunits - 1].bytes += msg_bytes(m);
			}
			continue;	/* otherwise an orphan: dropped */
		}
		if ((nu = reallocarray(u, nunits + 1, sizeof(*u))) == NULL)
			goto fail;
		u = nu;
		u[nunits].first = i;
		u[nunits].n = 1;
		u[nunits].bytes = msg_bytes(m);
		nunits++;
	}
	if (nunits == 0) {
		free(u);
		return (out);
	}
	keep = nunits - 1;
	total = u[keep].bytes + 2;
	count = u[keep].n;
	while (keep > 0) {
		if (total + u[keep - 1].bytes > max_bytes)
			break;
		if (max_msgs > 0 && count + u[keep - 1].n > max_msgs)
			break;
		keep--;
		total += u[keep].bytes;
		count += u[keep].n;
	}
	/* a context should not open with the answer to something gone */
	while (keep + 1 < nunits && strcmp(role_of(json_array_get(msgs,
	    u[keep].first)), "user") != 0)
		keep++;
	for (i = keep; i < nunits; i++)
		if (append_unit(out, msgs, &u[i]) == -1)
			goto fail;
	free(u);
	return (out);
 fail:
	free(u);
	json_decref(out);
	return (NULL);
}

static void
strip_fences(const char **s, size_t *n)
{
	const char	*p = *s, *e;
	size_t		 l = *n;

	while (l > 0 && isspace((unsigned char)*p)) {
		p++;
		l--;
	}
	while (l > 0 && isspace((unsigned char)p[l - 1]))
		l--;
	if (l >= 3 && strncmp(p, "```", 3) == 0) {
		if ((e = memchr(p, '\n', l)) == NULL)
			e = p + 3;
		l -= e - p;
		p = e;
		if (l >= 3 && strncmp(p + l - 3, "```", 3) == 0)
			l -= 3;
	}
	*s = p;
	*n = l;
}

/* close what the model left open, drop trailing commas */
static char *
balance(const char *s, size_t n)
{
	struct buf	 b;
	char		 stack[64];
	size_t		 i, depth = 0, k;
	int		 instr = 0, esc = 0;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
			if (c == '\n') {
				buf_puts(&b, "\\n");
				continue;
			}
			if (c == '\t') {
				buf_puts(&b, "\\t");
				continue;
			}
			if ((unsigned char)c < 0x20)
				continue;
			buf_add(&b, &c, 1);
			continue;
		}
		switch (c) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			if (depth >= sizeof(stack))
				goto fail;
			stack[depth++] = c == '{' ? '}' : ']';
			break;
		case '}':
		case ']':
			/* drop a trailing comma before the close */
			k = b.len;
			while (k > 0 && isspace((unsigned char)b.s[k - 1]))
				k--;
			if (k > 0 && b.s[k - 1] == ',')
				b.len = k - 1;
			if (depth == 0 || stack[depth - 1] != c)
				goto fail;
			depth--;
			break;
		}
		buf_add(&b, &c, 1);
		if (depth == 0 && (c == '}' || c == ']'))
			break;
	}
	if (esc)
		b.len--;
	if (instr)
		buf_puts(&b, "\"");
	k = b.len;
	while (k > 0 && isspace((unsigned char)b.s[k - 1]))
		k--;
	if (k > 0 && b.s[k - 1] == ',')
		b.len = k - 1;
	while (depth > 0)
		buf_add(&b, &stack[--depth], 1);
	return (buf_finish(&b));
 fail:
	free(buf_finish(&b));
	return (NULL);
}

/*
 * The arguments as a JSON object, or NULL with a reason in err.
 * An empty string is an empty object.
 */
json_t *
toolargs_repair(const char *args, char *err, size_t errlen)
{
	json_error_t	 je;
	const char	*p, *brace;
	json_t		*j;
	char		*fixed;
	size_t		 n;

	if (args == NULL)
		args = "";
	p = args;
	n = strlen(args);
	if ((j = json_loadb(p, n, 0, &je)) != NULL && json_is_object(j))
		return (j);
	json_decref(j);
	strip_fences(&p, &n);
	if (n == 0)
		return (json_object());
	if ((j = json_loadb(p, n, 0, &je)) != NULL && json_is_object(j))
		return (j);
	json_decref(j);
	/* a JSON string holding the object (double encoding) */
	if ((j = json_loadb(p, n, JSON_DECODE_ANY, &je)) != NULL &&
	    json_is_string(j)) {
		json_t *inner = json_loads(json_string_value(j), 0, &je);

		json_decref(j);
		if (inner != NULL && json_is_object(inner))
			return (inner);
		json_decref(inner);
	} else
		json_decref(j);
	if ((brace = memchr(p, '{', n)) == NULL) {
		snprintf(err, errlen, "the arguments are not a JSON object");
		return (NULL);
	}
	n -= brace - p;
	p = brace;
	if ((fixed = balance(p, n)) == NULL) {
		snprintf(err, errlen, "the arguments are not valid JSON "
		    "(unbalanced brackets)");
		return (NULL);
	}
	j = json_loads(fixed, 0, &je);
	free(fixed);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen, "the arguments are not valid JSON: %s",
		    je.text);
		return (NULL);
	}
	return (j);
}
