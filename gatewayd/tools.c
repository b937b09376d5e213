/*
 * tools.c - the tools offered to the model, as OpenAI function-calling
 * JSON schemas.  Each tool is one line of a table: name, description and
 * the parameters' schema as JSON text, parsed once per request.
 *
 * search_web and the Google Drive tools need secrets that only proxyd
 * holds; proxyd says which it has (IMSG_PROXY_SERVICES) whenever it
 * comes up, and a tool without its service is not offered.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conf_gateway.h"
#include "gateway.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

static int	services = -1;	/* TOOLS_SEARCH|TOOLS_GDRIVE; -1 unknown */

struct tooldef {
	const char	*name;
	int		 feature;	/* TOOLS_* needed, 0 always */
	const char	*desc;
	const char	*params;
};

#define STR(d)	"{\"type\":\"string\",\"description\":\"" d "\"}"
#define INT(d)	"{\"type\":\"integer\",\"description\":\"" d "\"}"
#define OBJ(props, req) "{\"type\":\"object\",\"properties\":{" props \
	"},\"required\":[" req "],\"additionalProperties\":false}"

static const struct tooldef tooldefs[] = {
	{ "run_command", 0,
	  "Run a shell command (sh -c) in the user's sandbox, in the "
	  "workspace directory. Returns exit code, stdout and stderr.",
	  OBJ("\"command\":" STR("the shell command") ","
	      "\"timeout\":" INT("seconds, optional"), "\"command\"") },
	{ "read_file", 0,
	  "Read a text file from the workspace.",
	  OBJ("\"path\":" STR("path relative to the workspace") ","
	      "\"offset\":" INT("byte offset to start at, optional") ","
	      "\"limit\":" INT("bytes to read, optional"), "\"path\"") },
	{ "write_file", 0,
	  "Create or overwrite a file in the workspace.",
	  OBJ("\"path\":" STR("path relative to the workspace") ","
	      "\"content\":" STR("the whole new content"),
	      "\"path\",\"content\"") },
	{ "edit_file", 0,
	  "Replace an exact, unique piece of text in a workspace file.",
	  OBJ("\"path\":" STR("path relative to the workspace") ","
	      "\"old_text\":" STR("text to find, exactly once") ","
	      "\"new_text\":" STR("replacement"),
	      "\"path\",\"old_text\",\"new_text\"") },
	{ "delete_file", 0,
	  "Delete a workspace file (soft delete: an operator can restore "
	  "it).",
	  OBJ("\"path\":" STR("path relative to the workspace"),
	      "\"path\"") },
	{ "search_files", 0,
	  "Find files in the workspace by glob pattern, e.g. **/*.py.",
	  OBJ("\"pattern\":" STR("glob pattern") ","
	      "\"path\":" STR("directory to search, optional"),
	      "\"pattern\"") },
	{ "search_text", 0,
	  "Search file contents in the workspace for a regular "
	  "expression.",
	  OBJ("\"pattern\":" STR("regular expression") ","
	      "\"path\":" STR("directory or file, optional") ","
	      "\"ignore_case\":{\"type\":\"boolean\"}", "\"pattern\"") },
	{ "list_directory", 0,
	  "List a workspace directory.",
	  OBJ("\"path\":" STR("directory, default the workspace"), "") },
	{ "search_web", TOOLS_SEARCH,
	  "Search the web. Returns titles, links and snippets.",
	  OBJ("\"query\":" STR("search query"), "\"query\"") },
	{ "fetch_page", 0,
	  "Fetch a web page (http or https) as readable text.",
	  OBJ("\"url\":" STR("absolute http(s) URL"), "\"url\"") },
	{ "send_file", 0,
	  "Send a file from the workspace to the user in this chat.",
	  OBJ("\"path\":" STR("path relative to the workspace") ","
	      "\"caption\":" STR("optional caption"), "\"path\"") },
	{ "send_dm", TOOLS_DM,
	  "Send a private message to a user who has talked to the bot.",
	  OBJ("\"user\":" STR("@username or numeric user id") ","
	      "\"text\":" STR("the message"), "\"user\",\"text\"") },
	{ "memory", 0,
	  "Persistent notes about this user in this chat (MEMORY.md): add "
	  "a note, read them all, or clear them.",
	  OBJ("\"action\":{\"type\":\"string\",\"enum\":[\"add\",\"read\","
	      "\"clear\"]},\"note\":" STR("the note, for add"),
	      "\"action\"") },
	{ "schedule_task", 0,
	  "Schedule a reminder message or a command to run later; list or "
	  "cancel scheduled tasks. Tasks survive restarts.",
	  OBJ("\"action\":{\"type\":\"string\",\"enum\":[\"add\",\"list\","
	      "\"cancel\"]},"
	      "\"kind\":{\"type\":\"string\",\"enum\":[\"reminder\","
	      "\"command\"]},"
	      "\"delay_seconds\":" INT("seconds from now, for add") ","
	      "\"text\":" STR("reminder text or command") ","
	      "\"id\":" INT("task id, for cancel"), "\"action\"") },
	{ "ask_user", 0,
	  "Ask the user a question with buttons and wait for the answer.",
	  OBJ("\"question\":" STR("the question") ","
	      "\"options\":{\"type\":\"array\",\"items\":{\"type\":"
	      "\"string\"},\"minItems\":1,\"maxItems\":8}",
	      "\"question\",\"options\"") },
	{ "gdrive_auth", TOOLS_GDRIVE,
	  "Start Google Drive authorisation: returns a link for the user.",
	  OBJ("", "") },
	{ "gdrive_callback", TOOLS_GDRIVE,
	  "Finish Google Drive authorisation with the whole address the "
	  "user pasted (it holds the code and the state).",
	  OBJ("\"code\":" STR("the pasted address"), "\"code\"") },
	{ "gdrive_list", TOOLS_GDRIVE,
	  "List files in the user's Google Drive.",
	  OBJ("\"folder\":" STR("folder id, optional"), "") },
	{ "gdrive_search", TOOLS_GDRIVE,
	  "Search the user's Google Drive by name or content.",
	  OBJ("\"query\":" STR("search text"), "\"query\"") },
	{ "gdrive_download", TOOLS_GDRIVE,
	  "Download a Google Drive file into the workspace.",
	  OBJ("\"file_id\":" STR("Drive file id") ","
	      "\"path\":" STR("destination in the workspace"),
	      "\"file_id\",\"path\"") },
};

int
tools_known(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(tooldefs) / sizeof(tooldefs[0]); i++)
		if (strcmp(tooldefs[i].name, name) == 0)
			return (1);
	return (0);
}

/* the tools array for a request; features: TOOLS_* enabled */
json_t *
tools_schema(int features)
{
	json_error_t	 err;
	json_t		*arr, *params, *t;
	size_t		 i;

	if ((arr = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < sizeof(tooldefs) / sizeof(tooldefs[0]); i++) {
		const struct tooldef *d = &tooldefs[i];

		if (d->feature != 0 && (features & d->feature) == 0)
			continue;
		if ((params = json_loads(d->params, 0, &err)) == NULL) {
			log_warnx("tool %s: schema: %s", d->name, err.text);
			continue;
		}
		t = json_pack("{s:s, s:{s:s, s:s, s:o}}", "type", "function",
		    "function", "name", d->name, "description", d->desc,
		    "parameters", params);
		if (t == NULL || json_array_append_new(arr, t) == -1) {
			json_decref(arr);
			return (NULL);
		}
	}
	return (arr);
}

static void
services_reply(struct rpc_reply *rep, void *arg)
{
	if (!rep->ok || !json_is_object(rep->result)) {
		log_warnx("proxyd services: %s", rep->ok ? "no result" :
		    rep->error);
		return;
	}
	services = 0;
	if (json_is_true(json_object_get(rep->result, "search")))
		services |= TOOLS_SEARCH;
	if (json_is_true(json_object_get(rep->result, "gdrive")))
		services |= TOOLS_GDRIVE;
	log_info("search_web %s, Google Drive tools %s",
	    services & TOOLS_SEARCH ? "offered" : "not offered (no "
	    "zai_api_key secret)", !(services & TOOLS_GDRIVE) ? "not offered "
	    "(no gdrive_client_id and gdrive_client_secret secrets)" :
	    gw.conf->gdrive ? "offered" : "switched off (gdrive no)");
}

void
tools_services(void)
{
	json_t	*req;

	if ((req = json_object()) == NULL)
		return;
	if (rpc_call(PROC_PROXYD, IMSG_PROXY_SERVICES, req, -1, RPC_RETRY,
	    services_reply, NULL) == 0)
		log_warnx("proxyd services: cannot ask");
	json_decref(req);
}

int
tools_features(void)
{
	int	 f;

	/* until proxyd answered, offer what the configuration allows */
	f = services == -1 ? TOOLS_SEARCH | TOOLS_GDRIVE : services;
	if (!gw.conf->gdrive)
		f &= ~TOOLS_GDRIVE;
	if (gw.conf->send_dm)
		f |= TOOLS_DM;
	return (f);
}
