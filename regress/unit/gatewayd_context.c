/*
 * gatewayd_context.c - context trimming keeps tool calls and results
 * together; malformed tool-call arguments are repaired or refused;
 * every tool has a schema.
 */
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../gatewayd/gateway.h"

static json_t *
user(const char *text)
{
	return (json_pack("{s:s,s:s}", "role", "user", "content", text));
}

static json_t *
call(const char *id)
{
	return (json_pack("{s:s,s:n,s:[{s:s,s:s,s:{s:s,s:s}}]}", "role",
	    "assistant", "content", "tool_calls", "id", id, "type",
	    "function", "function", "name", "run_command", "arguments",
	    "{\"command\":\"ls\"}"));
}

static json_t *
result(const char *id, size_t len)
{
	char	*s = malloc(len + 1);
	json_t	*j;

	memset(s, 'r', len);
	s[len] = '\0';
	j = json_pack("{s:s,s:s,s:s}", "role", "tool", "tool_call_id", id,
	    "content", s);
	free(s);
	return (j);
}

/* every tool message follows an assistant message that called it */
static int
no_orphans(json_t *a)
{
	json_t		*m, *calls, *c;
	size_t		 i, k;
	const char	*open_ids[16];
	size_t		 nopen = 0;

	json_array_foreach(a, i, m) {
		const char *role = json_string_value(json_object_get(m,
		    "role"));

		if (strcmp(role, "assistant") == 0) {
			nopen = 0;
			calls = json_object_get(m, "tool_calls");
			json_array_foreach(calls, k, c)
				if (nopen < 16)
					open_ids[nopen++] = json_string_value(
					    json_object_get(c, "id"));
		} else if (strcmp(role, "tool") == 0) {
			const char *id = json_string_value(json_object_get(m,
			    "tool_call_id"));
			int found = 0;

			for (k = 0; k < nopen; k++)
				if (strcmp(open_ids[k], id) == 0)
					found = 1;
			if (!found)
				return (0);
		} else
			nopen = 0;
	}
	return (1);
}

static void
test_trim(void)
{
	json_t	*a, *t;

	a = json_array();
	json_array_append_new(a, user("first"));
	json_array_append_new(a, call("c1"));
	json_array_append_new(a, result("c1", 3000));
	json_array_append_new(a, user("second"));
	json_array_append_new(a, call("c2"));
	json_array_append_new(a, result("c2", 100));
	json_array_append_new(a, user("third"));

	t = context_trim(a, 100000, 0);
	is_int(json_array_size(t), 7, "all fits");
	json_decref(t);

	/* budget cuts into the middle of the first call's unit */
	t = context_trim(a, 1000, 0);
	ok(no_orphans(t), "no orphaned tool result");
	ok(json_array_size(t) == 4, "kept the last turns (%zu)",
	    json_array_size(t));
	is_str(json_string_value(json_object_get(json_array_get(t, 0),
	    "content")), "second", "starts at a user message");
	json_decref(t);

	t = context_trim(a, 10, 0);
	is_int(json_array_size(t), 1, "tiny budget keeps the last message");
	json_decref(t);

	t = context_trim(a, 100000, 2);
	ok(no_orphans(t), "message cap: no orphan");
	is_int(json_array_size(t), 1, "message cap respected");
	json_decref(t);
	json_decref(a);

	/* an orphan result and a call without its result */
	a = json_array();
	json_array_append_new(a, user("q"));
	json_array_append_new(a, result("ghost", 10));
	json_array_append_new(a, call("c3"));
	json_array_append_new(a, user("next"));
	t = context_trim(a, 100000, 0);
	ok(no_orphans(t), "orphan dropped");
	is_int(json_array_size(t), 4, "stand-in result added for c3");
	is_str(json_string_value(json_object_get(json_array_get(t, 2),
	    "tool_call_id")), "c3", "stand-in answers c3");
	json_decref(t);
	json_decref(a);
}

static void
repair(const char *in, const char *key, const char *want, const char *name)
{
	char	 err[256];
	json_t	*j = toolargs_repair(in, err, sizeof(err));
	const char *v = j ? json_string_value(json_object_get(j, key)) : NULL;

	is_str(v, want, "%s", name);
	json_decref(j);
}

static void
test_repair(void)
{
	char	 err[256];
	json_t	*j;

	repair("{\"command\":\"ls\"}", "command", "ls", "valid JSON");
	repair("```json\n{\"command\":\"ls\"}\n```", "command", "ls",
	    "code fence");
	repair("Sure! {\"command\":\"ls -l\"} hope that helps", "command",
	    "ls -l", "text around");
	repair("{\"command\":\"ls\",}", "command", "ls", "trailing comma");
	repair("{\"command\":\"echo hi", "command", "echo hi",
	    "unclosed string and brace");
	repair("{\"content\":\"line1\nline2\"}", "content", "line1\nline2",
	    "raw newline in string");
	repair("\"{\\\"path\\\":\\\"a.txt\\\"}\"", "path", "a.txt",
	    "double-encoded");
	j = toolargs_repair("{\"a\":{\"b\":[1,2,", err, sizeof(err));
	ok(j != NULL && json_array_size(json_object_get(json_object_get(j,
	    "a"), "b")) == 2, "nested unclosed repaired");
	json_decref(j);
	j = toolargs_repair("", err, sizeof(err));
	ok(j != NULL && json_object_size(j) == 0, "empty is {}");
	json_decref(j);
	j = toolargs_repair("run ls please", err, sizeof(err));
	ok(j == NULL && strstr(err, "not a JSON object") != NULL,
	    "prose refused with a reason");
	j = toolargs_repair("{\"a\":]", err, sizeof(err));
	ok(j == NULL, "mismatched bracket refused");
	j = toolargs_repair("[1,2]", err, sizeof(err));
	ok(j == NULL, "array is not an object");
}

static void
test_tools(void)
{
	static const char *names[] = {
		"run_command", "read_file", "write_file", "edit_file",
		"delete_file", "search_files", "search_text",
		"list_directory", "search_web", "fetch_page", "send_file",
		"send_dm", "memory", "schedule_task", "ask_user",
		"gdrive_auth", "gdrive_callback", "gdrive_list",
		"gdrive_search", "gdrive_download",
	};
	json_t	*all, *t;
	size_t	 i, k, found;

	all = tools_schema(TOOLS_GDRIVE | TOOLS_DM | TOOLS_SEARCH);
	is_int(json_array_size(all), 20, "20 tools");
	for (i = 0, found = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_array_foreach(all, k, t) {
			json_t *f = json_object_get(t, "function");
			json_t *p = json_object_get(f, "parameters");

			if (strcmp(json_string_value(json_object_get(f,
			    "name")), names[i]) == 0 &&
			    json_is_object(json_object_get(p, "properties")) &&
			    strcmp(json_string_value(json_object_get(p,
			    "type")), "object") == 0)
				found++;
		}
		ok(tools_known(names[i]), "%s known", names[i]);
	}
	is_int(found, 20, "every tool has an object schema");
	json_decref(all);
	all = tools_schema(0);
	is_int(json_array_size(all), 13, "gdrive, send_dm and search_web "
	    "switched off");
	json_decref(all);
	/* issue 12: search_web only with proxyd's zai_api_key */
	all = tools_schema(TOOLS_GDRIVE | TOOLS_DM);
	found = 0;
	json_array_foreach(all, k, t)
		if (strcmp(json_string_value(json_object_get(json_object_get(t,
		    "function"), "name")), "search_web") == 0)
			found++;
	ok(json_array_size(all) == 19 && found == 0,
	    "no search_web without TOOLS_SEARCH");
	json_decref(all);
	ok(!tools_known("rm_rf"), "unknown tool");
}

int
main(void)
{
	test_trim();
	test_repair();
	test_tools();
	return (done_testing());
}
