/*
 * proxyd_service.c - a real proxyd against the mock Telegram, model and
 * search servers: every request type gatewayd uses, 429 handling, model
 * errors and garbage, DLP on what leaves, and canary secrets looked for
 * in every reply, in proxyd's log and in everything the servers saw.
 */
#include "regress.h"
#include "proxyd_harness.h"

static json_t *
tg(const char *method, json_t *params)
{
	return (h_call(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:o}", "method",
	    method, "params", params)));
}

static json_t *
chat(const char *text)
{
	return (h_call(IMSG_PROXY_LLM_CHAT, json_pack("{s:{s:s, s:[{s:s, s:s}],"
	    " s:[{s:s, s:{s:s, s:s}}]}}", "request", "model", "test-model",
	    "messages", "role", "user", "content", text, "tools", "type",
	    "function", "function", "name", "run_command", "description",
	    "run a shell command")));
}

/* is needle in the journal anywhere other than where it belongs? */
static int
journal_leaks(json_t *j, const char *needle, const char *where)
{
	json_t		*e;
	size_t		 i;
	const char	*url, *body, *auth;
	int		 leaks = 0;

	json_array_foreach(j, i, e) {
		url = json_string_value(json_object_get(e, "url"));
		body = json_string_value(json_object_get(e, "body"));
		auth = json_string_value(json_object_get(json_object_get(e,
		    "headers"), "authorization"));
		if (body != NULL && strstr(body, needle) != NULL) {
			printf("# %s found in the body of %s\n", where, url);
			leaks++;
		}
		if (url != NULL && strstr(url, needle) != NULL &&
		    strncmp(url, "/bot", 4) != 0 &&
		    strncmp(url, "/file/bot", 9) != 0) {
			printf("# %s found in URL %s\n", where, url);
			leaks++;
		}
		if (auth != NULL && strstr(auth, needle) != NULL &&
		    strcmp(url, "/v1/chat/completions") != 0 &&
		    strcmp(url, "/search") != 0) {
			printf("# %s found in the Authorization of %s\n",
			    where, url);
			leaks++;
		}
	}
	return (leaks);
}

static const char *
journal_last_body(json_t *j, const char *urlpart)
{
	json_t		*e;
	size_t		 i;
	const char	*url, *body = NULL;

	json_array_foreach(j, i, e) {
		url = json_string_value(json_object_get(e, "url"));
		if (url != NULL && strstr(url, urlpart) != NULL)
			body = json_string_value(json_object_get(e, "body"));
	}
	return (body);
}

static int
journal_count(json_t *j, const char *urlpart)
{
	json_t		*e;
	size_t		 i;
	const char	*url;
	int		 n = 0;

	json_array_foreach(j, i, e) {
		url = json_string_value(json_object_get(e, "url"));
		if (url != NULL && strstr(url, urlpart) != NULL)
			n++;
	}
	return (n);
}

#define RELOAD_CONF \
	"proxy {\n\tdlp-pattern \"ticket\" \"TICKET\" \"TCK-[0-9]{4}\"\n" \
	"\tllm-model \"operator-model\"\n}\n"

static int
reloaded(void)
{
	char	*log = h_log("proxyd.log");
	int	 rv = strstr(log, "configuration reloaded") != NULL;

	free(log);
	return (rv);
}

/* connect claiming to be sandboxd: proxyd must hang up */
static int
stranger_refused(void)
{
	struct sockaddr_un	 sun;
	struct imsgbuf		 ib;
	char			 c;
	int			 s, i, n = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/run/proxyd.sock", h.dir) >= sizeof(sun.sun_path))
		return (0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return (0);
	imsgbuf_init(&ib, s);
	h_send_hello(&ib, PROC_SANDBOXD);
	fcntl(s, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 100; i++) {
		if ((n = read(s, &c, 1)) == 0 || (n == -1 && errno != EAGAIN))
			break;
		h_pump(100, NULL);
	}
	imsgbuf_clear(&ib);
	close(s);
	return (n == 0 || (n == -1 && errno != EAGAIN));
}

int
main(void)
{
	json_t		*r, *res, *j;
	const char	*body;
	char		*log, path[600];
	int		 fd;

	h_setup(NULL);
	h_policyd_listen();
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd.log");
	ok(h_connect_gw() == 0, "connected to proxyd as gatewayd");
	ok(h_users_wrote() == 0, "users 1-20 wrote (vouched for by proxyd)");

	/* Telegram */
	r = tg("getMe", json_object());
	ok(h_reply_ok(r), "getMe ok");
	is_str(json_string_value(json_object_get(json_object_get(r,
	    "result"), "username")), "testbot", "getMe result passed back");
	json_decref(r);

	r = tg("sendMessage", json_pack("{s:i, s:s}", "chat_id", 42, "text",
	    "hello, mail me at alice@example.com, token " CANARY_TG));
	ok(h_reply_ok(r), "sendMessage ok");
	res = json_object_get(r, "result");
	body = json_string_value(json_object_get(res, "text"));
	ok(body != NULL && strstr(body, "alice@example.com") == NULL,
	    "e-mail redacted in the text sent to Telegram");
	ok(body != NULL && strstr(body, "[REDACTED:") != NULL,
	    "redaction marker in the text sent to Telegram");
	ok(body != NULL && !h_has_secret(body),
	    "bot token redacted in the text sent to Telegram");
	json_decref(r);

	r = tg("sendMessage", json_pack("{s:i, s:s}", "chat_id", 4291,
	    "text", "rate limited once"));
	ok(h_reply_ok(r), "429 with retry_after 1 is retried and succeeds");
	json_decref(r);

	r = tg("sendMessage", json_pack("{s:i, s:s}", "chat_id", 4292,
	    "text", "always rate limited"));
	ok(r != NULL && !h_reply_ok(r), "persistent 429 fails in the end");
	is_int(json_integer_value(json_object_get(r, "status")), 429,
	    "persistent 429: status 429");
	is_int(json_integer_value(json_object_get(r, "retry_after")), 1,
	    "persistent 429: retry_after passed to gatewayd");
	json_decref(r);

	r = tg("noSuchMethod", json_object());
	ok(r != NULL && !h_reply_ok(r), "unknown Bot API method fails");
	is_int(json_integer_value(json_object_get(r, "status")), 400,
	    "Telegram error_code passed as status");
	ok(strstr(h_reply_error(r), "method not found") != NULL,
	    "Telegram description passed as error");
	json_decref(r);

	r = h_call(IMSG_PROXY_TG_CALL, json_pack("{s:s}", "method",
	    "../../etc"));
	ok(r != NULL && !h_reply_ok(r), "invalid method name refused");
	json_decref(r);

	r = tg("sendChatAction", json_pack("{s:i, s:s}", "chat_id", 42,
	    "action", "typing"));
	ok(h_reply_ok(r), "sendChatAction ok");
	json_decref(r);
	r = tg("setMessageReaction", json_pack("{s:i, s:i, s:[{s:s, s:s}]}",
	    "chat_id", 42, "message_id", 5, "reaction", "type", "emoji",
	    "emoji", "\xf0\x9f\x91\x8d"));
	ok(h_reply_ok(r), "setMessageReaction ok");
	json_decref(r);

	r = h_call(IMSG_PROXY_TG_UPDATES, json_pack("{s:i, s:i}", "offset", 7,
	    "timeout", 0));
	ok(h_reply_ok(r) && json_array_size(json_object_get(r, "result")) ==
	    1, "getUpdates returns the updates");
	is_int(json_integer_value(json_object_get(json_array_get(
	    json_object_get(r, "result"), 0), "update_id")), 7,
	    "getUpdates passes the offset");
	json_decref(r);

	/* sendDocument from an fd */
	snprintf(path, sizeof(path), "%s/upload.txt", h.dir);
	h_write_file("upload.txt", "file body with " CANARY_LLM "\n", 0600);
	fd = open(path, O_RDONLY);
	r = h_call_fd(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:{s:i, s:s}, s:s}",
	    "method", "sendDocument", "params", "chat_id", 42, "caption",
	    "a file", "filename", "upload.txt"), fd);
	ok(h_reply_ok(r), "sendDocument multipart upload ok");
	res = json_object_get(json_object_get(r, "result"), "document");
	is_str(json_string_value(json_object_get(res, "file_name")),
	    "upload.txt", "uploaded file name");
	ok(json_integer_value(json_object_get(res, "file_size")) > 0,
	    "uploaded file has content");
	json_decref(r);

	/* getFile + download into an fd */
	snprintf(path, sizeof(path), "%s/download.txt", h.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	r = h_call_fd(IMSG_PROXY_TG_DOWNLOAD, json_pack("{s:s}", "file_id",
	    "abc"), fd);
	ok(h_reply_ok(r), "download ok");
	is_int(json_integer_value(json_object_get(json_object_get(r,
	    "result"), "bytes")), 11, "download byte count");
	json_decref(r);
	log = h_read_file(path);
	is_str(log, "hello file\n", "downloaded content written to the fd");
	free(log);
	fd = open(path, O_WRONLY | O_TRUNC);
	r = h_call_fd(IMSG_PROXY_TG_DOWNLOAD, json_pack("{s:s, s:i}",
	    "file_id", "big", "max_bytes", 1000), fd);
	ok(r != NULL && !h_reply_ok(r) &&
	    strstr(h_reply_error(r), "too large") != NULL,
	    "download over max_bytes refused");
	json_decref(r);
	r = h_call(IMSG_PROXY_TG_DOWNLOAD, json_pack("{s:s}", "file_id",
	    "abc"));
	ok(r != NULL && !h_reply_ok(r), "download without an fd refused");
	json_decref(r);

	/* the model */
	r = chat("hi");
	ok(h_reply_ok(r), "chat completion ok");
	is_str(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(json_object_get(r, "result"),
	    "choices"), 0), "message"), "content")), "hello from the model",
	    "completion content passed back");
	json_decref(r);

	r = chat("tool please");
	ok(h_reply_ok(r) && json_is_array(json_object_get(json_object_get(
	    json_array_get(json_object_get(json_object_get(r, "result"),
	    "choices"), 0), "message"), "tool_calls")),
	    "tool calls passed back");
	json_decref(r);

	r = chat("flaky");
	ok(h_reply_ok(r), "a 503 is retried and the retry succeeds");
	json_decref(r);

	r = chat("down");
	ok(r != NULL && !h_reply_ok(r), "a model that keeps failing fails");
	is_int(json_integer_value(json_object_get(r, "status")), 500,
	    "model failure status");
	ok(strstr(h_reply_error(r), "after 3 attempts") != NULL,
	    "1 try + llm-retries 2 retries, said in the error");
	json_decref(r);

	r = chat("garbage");
	is_str(h_reply_error(r), "model returned invalid JSON",
	    "garbage JSON from the model is a clear error");
	json_decref(r);

	r = chat("nochoices");
	ok(r != NULL && !h_reply_ok(r) &&
	    strstr(h_reply_error(r), "no choices") != NULL,
	    "a response without choices is an error");
	json_decref(r);

	r = chat("badreq");
	ok(r != NULL && !h_reply_ok(r) &&
	    strstr(h_reply_error(r), "context length exceeded") != NULL,
	    "the provider's message is passed on for a 400");
	json_decref(r);

	r = chat("leak");
	ok(h_reply_ok(r), "leak scenario answered");
	res = json_object_get(json_object_get(json_array_get(json_object_get(
	    json_object_get(r, "result"), "choices"), 0), "message"),
	    "content");
	ok(json_string_value(res) != NULL &&
	    strstr(json_string_value(res), "[REDACTED:") != NULL,
	    "a secret echoed by the provider is replaced in the reply");
	json_decref(r);

	r = chat("echo my key " CANARY_LLM " and bob@example.org");
	ok(h_reply_ok(r), "echo scenario answered");
	json_decref(r);

	r = h_call(IMSG_PROXY_LLM_CHAT, json_pack("{s:s}", "request", "x"));
	ok(r != NULL && !h_reply_ok(r), "a request that is not an object "
	    "is refused");
	json_decref(r);

	/* search */
	r = h_call(IMSG_PROXY_SEARCH_WEB, json_pack("{s:i, s:s, s:i}", "user",
	    999, "query", "anything", "count", 3));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "has not written") != NULL, "search for a user who has not "
	    "written: refused");
	json_decref(r);
	r = h_call(IMSG_PROXY_SEARCH_WEB, json_pack("{s:i, s:s, s:i}", "user",
	    7, "query", "weather for carol@example.net", "count", 3));
	ok(h_reply_ok(r), "search ok");
	res = json_array_get(json_object_get(json_object_get(r, "result"),
	    "results"), 0);
	is_str(json_string_value(json_object_get(res, "url")),
	    "https://example.com/", "search result mapped");
	json_decref(r);

	/* malformed frame payload: answered, connection kept */
	imsg_compose(&h.gw, IMSG_PROXY_LLM_CHAT, 999, 0, -1, "nope", 4);
	imsgbuf_flush(&h.gw);
	r = tg("getMe", json_object());
	ok(h_reply_ok(r), "connection survives a malformed request");
	json_decref(r);

	/* confined: seccomp filter and no new privileges */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)h.proxyd_pid);
	log = h_read_file(path);
	ok(strstr(log, "Seccomp:\t2") != NULL, "proxyd runs under seccomp");
	ok(strstr(log, "NoNewPrivs:\t1") != NULL, "proxyd has no new privs");
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)h.proxyd_pid);
	ok(open(path, O_RDONLY) == -1, "proxyd is not dumpable: its memory "
	    "and environment are closed to its own uid");
	free(log);

	/* only gatewayd may talk to proxyd */
	ok(stranger_refused(), "a peer claiming to be sandboxd is refused");
	r = tg("getMe", json_object());
	ok(h_reply_ok(r), "gatewayd's connection is unaffected");
	json_decref(r);

	/* reload: a custom DLP pattern takes effect (compiled after seccomp) */
	snprintf(path, sizeof(path), "%s/topsh.conf", h.dir);
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd != -1 && write(fd, RELOAD_CONF, strlen(RELOAD_CONF)) ==
	    (ssize_t)strlen(RELOAD_CONF), "config appended");
	close(fd);
	kill(h.proxyd_pid, SIGHUP);
	ok(h_wait(10, reloaded), "proxyd reloaded on SIGHUP");
	r = tg("sendMessage", json_pack("{s:i, s:s}", "chat_id", 42, "text",
	    "see TCK-1234"));
	is_str(json_string_value(json_object_get(json_object_get(r, "result"),
	    "text")), "see [REDACTED:TICKET]", "custom pattern after reload");
	json_decref(r);
	/* what the servers saw */
	j = h_journal();
	ok(j != NULL && json_array_size(j) > 10, "journal fetched");
	body = journal_last_body(j, "/v1/chat/completions");
	ok(body != NULL && strstr(body, "bob@example.org") == NULL &&
	    strstr(body, "[REDACTED:") != NULL,
	    "DLP applied to the model request body");
	ok(body != NULL && strstr(body, "\"stream\":false") != NULL,
	    "stream forced off");
	body = journal_last_body(j, "/search");
	ok(body != NULL && strstr(body, "carol@example.net") == NULL,
	    "DLP applied to the search query");
	body = journal_last_body(j, "sendDocument");
	ok(body != NULL && strstr(body, "a file") != NULL,
	    "caption sent in the multipart body");
	is_int(journal_count(j, "chat/completions"), 12,
	    "model requests: 9 chats, 1 flaky retry, 2 down retries");
	is_int(journal_count(j, "sendMessage"), 7,
	    "sendMessage: 1 + 429 once (2) + 429 always (3) + reload (1)");
	is_int(journal_leaks(j, CANARY_TG, "telegram token"), 0,
	    "telegram token only in Bot API URLs");
	is_int(journal_leaks(j, CANARY_LLM, "llm key"), 0,
	    "llm key only in the model's Authorization header");
	is_int(journal_leaks(j, CANARY_ZAI, "zai key"), 0,
	    "search key only in the search Authorization header");
	json_decref(j);

	/* llm-model replaces "default", never a model gatewayd named */
	r = h_call(IMSG_PROXY_LLM_CHAT, json_pack("{s:{s:s, s:[{s:s, s:s}]}}",
	    "request", "model", "default", "messages", "role", "user",
	    "content", "which model?"));
	json_decref(r);
	j = h_journal();
	body = journal_last_body(j, "/v1/chat/completions");
	ok(body != NULL && strstr(body, "\"model\":\"operator-model\"") !=
	    NULL, "llm-model replaces the model \"default\"");
	json_decref(j);
	r = chat("plain question");
	json_decref(r);
	j = h_journal();
	body = journal_last_body(j, "/v1/chat/completions");
	ok(body != NULL && strstr(body, "\"model\":\"test-model\"") != NULL,
	    "a model named by gatewayd is passed on as it is");
	json_decref(j);

	/*
	 * The secrets directory unreachable after start-up (moved away, as
	 * a tmpfs of credentials may go): the secrets were read once and
	 * stay; a reload does not lose them and proxyd does not die.
	 */
	{
		char	 from[600], to[600];

		snprintf(from, sizeof(from), "%s/secrets", h.dir);
		snprintf(to, sizeof(to), "%s/secrets.gone", h.dir);
		ok(rename(from, to) == 0, "the secrets directory is gone");
		r = chat("after the secrets went");
		ok(h_reply_ok(r), "the model is still reached with the key "
		    "read at start (the mock checks it)");
		json_decref(r);
		kill(h.proxyd_pid, SIGHUP);
		h_pump(1000, NULL);
		r = chat("after a reload without the secrets");
		ok(h_reply_ok(r) && kill(h.proxyd_pid, 0) == 0,
		    "a reload without the secrets directory keeps them");
		json_decref(r);
		(void)rename(to, from);
	}

	/* issue 12: the optional services, with all their secrets */
	r = h_call(IMSG_PROXY_SERVICES, json_object());
	ok(h_reply_ok(r) && json_is_true(json_object_get(json_object_get(r,
	    "result"), "search")) && json_is_true(json_object_get(
	    json_object_get(r, "result"), "gdrive")),
	    "services: search and gdrive configured");
	json_decref(r);

	h_stop_proxyd();
	log = h_log("proxyd.log");
	ok(strstr(log, "started") != NULL, "proxyd logged its start");
	ok(!h_has_secret(log), "no secret in proxyd's log (-vv)");
	ok(strstr(log, "rate limited") != NULL, "429 logged");
	free(log);

	/* without zai_api_key and the Drive pair proxyd starts all the same */
	snprintf(path, sizeof(path), "%s/secrets/zai_api_key", h.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/secrets/gdrive_client_id", h.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/secrets/gdrive_client_secret", h.dir);
	unlink(path);
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd2.log");
	ok(h_connect_gw() == 0, "proxyd starts without zai_api_key and the "
	    "Drive secrets");
	ok(h_users_wrote() == 0, "users vouched for again");
	r = h_call(IMSG_PROXY_SERVICES, json_object());
	ok(h_reply_ok(r) && json_is_false(json_object_get(json_object_get(r,
	    "result"), "search")) && json_is_false(json_object_get(
	    json_object_get(r, "result"), "gdrive")),
	    "services: neither search nor gdrive");
	json_decref(r);
	r = h_call(IMSG_PROXY_SEARCH_WEB, json_pack("{s:i, s:s, s:i}", "user",
	    7, "query", "anything", "count", 3));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "no zai_api_key secret") != NULL,
	    "search_web without the key: refused, naming the secret");
	json_decref(r);
	h_stop_proxyd();
	return (done_testing());
}
