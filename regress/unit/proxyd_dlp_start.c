/*
 * proxyd_dlp_start.c - proxyd answers before its DLP databases are
 * built (proxyd/dlpstart.c), and nothing that needs redaction leaves
 * before they are.  The build child is held (TOPSH_PROXYD_DLP_HOLD:
 * it stops itself until SIGCONT): getMe and getUpdates are answered
 * meanwhile; a sendMessage and a model call carrying a secret and an
 * e-mail address wait, reach no server, and once the child goes on are
 * sent redacted, a chat's messages in their order; the child leaves
 * no process behind.  (Its confinement, confine_compute(), is tested
 * in common_confine.)
 */
#include <dirent.h>

#include "regress.h"
#include "proxyd_harness.h"

#define EMAIL	"dora.start@example.org"

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

/* how many bodies sent to urlpart hold needle */
static int
journal_with(json_t *j, const char *urlpart, const char *needle)
{
	json_t		*e;
	size_t		 i;
	const char	*url, *body;
	int		 n = 0;

	json_array_foreach(j, i, e) {
		url = json_string_value(json_object_get(e, "url"));
		body = json_string_value(json_object_get(e, "body"));
		if (url != NULL && strstr(url, urlpart) != NULL &&
		    body != NULL && strstr(body, needle) != NULL)
			n++;
	}
	return (n);
}

static int
journal_count(const char *urlpart)
{
	json_t		*j, *e;
	size_t		 i;
	const char	*url;
	int		 n = 0;

	if ((j = h_journal()) == NULL)
		return (-1);
	json_array_foreach(j, i, e) {
		url = json_string_value(json_object_get(e, "url"));
		if (url != NULL && strstr(url, urlpart) != NULL)
			n++;
	}
	json_decref(j);
	return (n);
}

/* a child of proxyd in state c (T: stopped), 0 if none */
static pid_t
child_in_state(char c)
{
	char	 path[300], buf[512], *p;
	DIR	*dir;
	struct dirent *de;
	FILE	*f;
	pid_t	 pid = 0;
	int	 ppid;
	char	 st;

	if ((dir = opendir("/proc")) == NULL)
		return (0);
	while (pid == 0 && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %c %d", &st, &ppid) == 2 &&
		    ppid == h.proxyd_pid && st == c)
			pid = atoi(de->d_name);
		fclose(f);
	}
	closedir(dir);
	return (pid);
}

static int
held(void)
{
	return (child_in_state('T') != 0);
}

int
main(void)
{
	json_t		*r, *j;
	const char	*body;
	char		*log;
	uint32_t	 ids[3], sid, sid2, lid;
	pid_t		 kid;
	int		 n, d;

	h_setup(NULL);
	h_policyd_listen();
	setenv("TOPSH_PROXYD_DLP_HOLD", "1", 1);
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd.log");
	unsetenv("TOPSH_PROXYD_DLP_HOLD");
	ok(h_connect_gw() == 0, "connected to proxyd as gatewayd");
	ok(h_wait(10, held), "the DLP build child is held");

	r = h_call(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:{}}", "method",
	    "getMe", "params"));
	ok(h_reply_ok(r), "getMe is answered before the DLP databases are "
	    "built");
	json_decref(r);
	r = h_call(IMSG_PROXY_TG_UPDATES, json_pack("{s:i, s:i}", "offset",
	    0, "timeout", 0));
	ok(h_reply_ok(r), "getUpdates too");
	json_decref(r);

	sid = h_send(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:{s:I, s:s}}",
	    "method", "sendMessage", "params", "chat_id", (json_int_t)4242,
	    "text", "key " CANARY_LLM " mail " EMAIL));
	lid = h_send(IMSG_PROXY_LLM_CHAT, json_pack("{s:{s:[{s:s, s:s}]}}",
	    "request", "messages", "role", "user", "content",
	    "hi, write to " EMAIL));
	sid2 = h_send(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:{s:I, s:s}}",
	    "method", "sendMessage", "params", "chat_id", (json_int_t)4242,
	    "text", "second"));
	/* a second with nothing due: no reply may come while held */
	d = 0;
	h_pump(1000, &d);
	ok(d != 2, "no reply to them while the databases are not built");
	is_int(journal_count("sendMessage"), 0,
	    "the sendMessage has not reached the Bot API");
	is_int(journal_count("chat/completions"), 0,
	    "the model call has not reached the model");
	log = h_log("proxyd.log");
	ok(strstr(log, "waits for the dlp databases") != NULL,
	    "proxyd says they wait");
	free(log);

	kid = child_in_state('T');
	ok(kid > 0 && kill(kid, SIGCONT) == 0, "the build child goes on");
	n = h_collect(3, ids);
	is_int(n, 3, "all three are answered once the databases are built");
	ok(n == 3 && ((ids[0] == sid && ids[1] == sid2) ||
	    (ids[0] == sid && ids[2] == sid2) ||
	    (ids[1] == sid && ids[2] == sid2)),
	    "the chat's two messages in the order they came");
	ok(n == 3 && (ids[0] == lid || ids[1] == lid || ids[2] == lid),
	    "and the model call");

	j = h_journal();
	ok(journal_with(j, "sendMessage", "mail [REDACTED:") == 1 &&
	    journal_with(j, "sendMessage", CANARY_LLM) == 0 &&
	    journal_with(j, "sendMessage", EMAIL) == 0,
	    "the sendMessage went out redacted");
	body = journal_last_body(j, "chat/completions");
	ok(body != NULL && strstr(body, EMAIL) == NULL &&
	    strstr(body, "[REDACTED:") != NULL,
	    "the model call went out redacted");
	json_decref(j);
	log = h_log("proxyd.log");
	ok(strstr(log, "the databases are ready; 3 requests waited") != NULL,
	    "built by the child: three requests waited");
	ok(strstr(log, "build child failed") == NULL,
	    "the child did not fail (its confinement let it build)");
	free(log);

	/* a request after that is redacted at once */
	r = h_call(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:{s:I, s:s}}",
	    "method", "sendMessage", "params", "chat_id", (json_int_t)4242,
	    "text", "again " EMAIL));
	ok(h_reply_ok(r), "a later sendMessage is answered");
	json_decref(r);
	j = h_journal();
	body = journal_last_body(j, "sendMessage");
	ok(body != NULL && strstr(body, EMAIL) == NULL,
	    "and redacted");
	json_decref(j);
	ok(child_in_state('T') == 0 && child_in_state('Z') == 0,
	    "no build child is left, stopped or unreaped");
	h_stop_proxyd();
	return (done_testing());
}
