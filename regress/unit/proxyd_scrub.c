/*
 * proxyd_scrub.c - parts of secrets in error texts and log lines: the
 * host, port, path and query of a secret model URL, the secret half of
 * the bot token.  First scrub_text() on its own, then a real proxyd
 * whose secret model URL points at a closed port: curl's "Failed to
 * connect to HOST port PORT" must reach neither gatewayd nor the log.
 */
#include "regress.h"
#include "proxyd_harness.h"
#include "../../proxyd/proxyd.h"

#define SECRET_PATH	"sekret-route-4242"
#define SECRET_QUERY	"acme-tenant-991"

static void
test_text(void)
{
	struct secrets	 s;
	char		*t;

	memset(&s, 0, sizeof(s));
	s.llm_base_url = "https://llm.corp.example:8443/" SECRET_PATH
	    "/v1?tenant=" SECRET_QUERY;
	s.telegram_token = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
	scrub_init(&s);

	t = scrub_text("Failed to connect to llm.corp.example port 8443 "
	    "after 3 ms: Connection refused");
	is_str(t, "Failed to connect to [REDACTED:llm_base_url] port "
	    "[REDACTED:llm_base_url] after 3 ms: Connection refused",
	    "curl's connect error: host and port replaced");
	free(t);
	t = scrub_text("Could not resolve host: LLM.Corp.Example.");
	is_str(t, "Could not resolve host: [REDACTED:llm_base_url].",
	    "the host in any case, before a dot ending the sentence");
	free(t);
	t = scrub_text("POST https://llm.corp.example:8443/" SECRET_PATH
	    "/v1/chat/completions?tenant=" SECRET_QUERY ": 404");
	ok(t != NULL && strstr(t, "corp.example") == NULL &&
	    strstr(t, "8443") == NULL && strstr(t, SECRET_PATH) == NULL &&
	    strstr(t, SECRET_QUERY) == NULL, "a URL: host:port, path and "
	    "query value replaced (%s)", t);
	free(t);
	t = scrub_text("no route under /" SECRET_PATH " here");
	ok(t != NULL && strstr(t, SECRET_PATH) == NULL, "a path segment "
	    "alone");
	free(t);
	t = scrub_text("getUpdates: /botAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw "
	    "gone");
	ok(t != NULL && strstr(t, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw") ==
	    NULL, "the secret half of the bot token");
	free(t);
	t = scrub_text("xllm.corp.example.org, port 18443, 84430, /v1, "
	    "llm.corp.examples");
	is_str(t, "xllm.corp.example.org, port 18443, 84430, /v1, "
	    "llm.corp.examples", "a longer name, a longer number and a "
	    "short path segment are left alone");
	free(t);
	t = scrub_text("/tmp/topsh-test.6i8443oX/etc, exit 8443, "
	    "port 8443x");
	is_str(t, "/tmp/topsh-test.6i8443oX/etc, exit 8443, port 8443x",
	    "the port's number is left alone where it is no port (a "
	    "temporary directory's name: CI)");
	free(t);
	t = scrub_text("to 10.0.0.1:8443, PORT 8443.");
	is_str(t, "to 10.0.0.1:[REDACTED:llm_base_url], PORT "
	    "[REDACTED:llm_base_url].", "after a colon or \"port\"");
	free(t);
	scrub_clear();
	t = scrub_text("llm.corp.example port 8443");
	is_str(t, "llm.corp.example port 8443", "nothing after scrub_clear");
	free(t);
}

int
main(void)
{
	json_t		*r;
	const char	*e;
	char		 buf[600], portstr[16], *log;
	int		 closed;

	test_text();

	h_setup(NULL);
	h_policyd_listen();
	closed = h_free_port();
	snprintf(portstr, sizeof(portstr), "%d", closed);
	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d/" SECRET_PATH
	    "/v1?tenant=" SECRET_QUERY "\n", closed);
	h_write_file("secrets/llm_base_url", buf, 0600);
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd.log");
	ok(h_connect_gw() == 0, "connected to proxyd as gatewayd");

	r = h_call(IMSG_PROXY_LLM_CHAT, json_pack("{s:{s:s, s:[{s:s, s:s}]}}",
	    "request", "model", "m", "messages", "role", "user", "content",
	    "hi"));
	e = h_reply_error(r);
	printf("# error: %s\n", e != NULL ? e : "(none)");
	ok(r != NULL && !h_reply_ok(r) && e != NULL &&
	    strstr(e, "unreachable") != NULL, "the model is unreachable");
	ok(e != NULL && strstr(e, "127.0.0.1") == NULL &&
	    strstr(e, portstr) == NULL, "no host or port of the secret "
	    "model URL in the error gatewayd gets");
	ok(e != NULL && strstr(e, "[REDACTED:llm_base_url]") != NULL,
	    "they are named as the secret's parts");
	json_decref(r);

	h_stop_proxyd();
	log = h_log("proxyd.log");
	ok(log != NULL && strstr(log, "Failed to connect") != NULL,
	    "the failure is logged");
	ok(log != NULL && strstr(log, portstr) == NULL &&
	    strstr(log, SECRET_PATH) == NULL &&
	    strstr(log, SECRET_QUERY) == NULL, "no port, path or query of "
	    "the secret model URL in proxyd's log");
	free(log);
	return (done_testing());
}
