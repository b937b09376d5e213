/*
 * proxyd_gdrive.c - Google Drive through proxyd against the mock OAuth
 * and Drive endpoints: consent URL, code exchange, token storage (0600,
 * in proxyd's state directory, never in a reply), refresh, list, search,
 * download and export into an fd, logout.
 */
#include <netdb.h>

#include "regress.h"
#include "proxyd_harness.h"

static json_t *
gd(uint32_t type, json_t *req)
{
	json_t	*r;
	char	*s;

	r = h_call(type, req);
	if (r != NULL && (s = json_dumps(r, JSON_COMPACT)) != NULL) {
		if (strstr(s, "rt-1") != NULL || strstr(s, "at-fresh") !=
		    NULL || strstr(s, "at-expired") != NULL)
			printf("# TOKEN IN REPLY: %s\n", s);
		ok(strstr(s, "rt-1") == NULL && strstr(s, "at-fresh") == NULL,
		    "no OAuth token in the reply");
		free(s);
	}
	return (r);
}

/*
 * A host name that resolves to 127.0.0.1 through the C library (libcurl
 * answers "localhost" itself): the machine's name when /etc/hosts maps
 * it to loopback, else localhost.
 */
static const char *
loopback_name(void)
{
	static char		 name[256];
	struct addrinfo		 hints, *res;
	int			 found = 0;

	if (gethostname(name, sizeof(name)) == -1)
		return ("localhost");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return ("localhost");
	found = ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr ==
	    htonl(INADDR_LOOPBACK);
	freeaddrinfo(res);
	return (found ? name : "localhost");
}

/* the state of a consent URL: 32 hex digits into out; 0, or -1 */
static int
state_of(const char *url, char *out, size_t len)
{
	const char	*p;

	if (url == NULL || (p = strstr(url, "&state=")) == NULL)
		return (-1);
	p += 7;
	if (strspn(p, "0123456789abcdef") != 32 || len < 33)
		return (-1);
	memcpy(out, p, 32);
	out[32] = '\0';
	return (0);
}

int
main(void)
{
	json_t		*r, *files, *j, *e;
	struct stat	 st;
	const char	*s, *url, *body;
	char		 path[600], *content, state1[64], state2[64];
	char		 redirect[256];
	size_t		 i;
	int		 fd, leaks;

	/* a name: libcurl's own resolver runs under seccomp and Landlock */
	h.api_host = loopback_name();
	printf("# Drive API host name: %s\n", h.api_host);
	h_setup(NULL);
	h_policyd_listen();
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd.log");
	ok(h_connect_gw() == 0, "connected to proxyd as gatewayd");
	ok(h_users_wrote() == 0, "users 1-20 wrote (vouched for by proxyd)");
	r = gd(IMSG_PROXY_GDRIVE_STATUS, json_pack("{s:i}", "user", 999));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "has not written") != NULL, "Drive for a user who has not "
	    "written: refused (a compromised gatewayd is not every user)");
	json_decref(r);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_URL, json_pack("{s:i}", "user", 999));
	ok(r != NULL && !h_reply_ok(r), "nor may it start linking Drive "
	    "for that user");
	json_decref(r);

	r = gd(IMSG_PROXY_GDRIVE_STATUS, json_pack("{s:i}", "user", 7));
	ok(h_reply_ok(r) && json_is_false(json_object_get(json_object_get(r,
	    "result"), "connected")), "not connected at first");
	json_decref(r);

	r = gd(IMSG_PROXY_GDRIVE_AUTH_URL, json_pack("{s:i}", "user", 7));
	s = json_string_value(json_object_get(json_object_get(r, "result"),
	    "url"));
	ok(s != NULL && strstr(s, "/oauth/auth?client_id=" CANARY_GID) !=
	    NULL, "consent URL with the client id");
	ok(s != NULL && strstr(s, "redirect_uri=http%3A%2F%2Flocalhost") !=
	    NULL && strstr(s, "drive.readonly") != NULL &&
	    strstr(s, "access_type=offline") != NULL,
	    "consent URL asks for offline read-only access");
	ok(s != NULL && strstr(s, CANARY_GSEC) == NULL,
	    "no client secret in the consent URL");
	ok(state_of(s, state1, sizeof(state1)) == 0,
	    "consent URL with a random 32-hex-digit state, not the user id");
	json_decref(r);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_URL, json_pack("{s:i}", "user", 7));
	ok(state_of(json_string_value(json_object_get(json_object_get(r,
	    "result"), "url")), state2, sizeof(state2)) == 0 &&
	    strcmp(state1, state2) != 0, "each consent URL has its own state");
	json_decref(r);

	r = gd(IMSG_PROXY_GDRIVE_AUTH_CODE, json_pack("{s:i, s:s}", "user", 7,
	    "code", "good-code"));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "whole address") != NULL, "a bare code (no state to bind it to the "
	    "user) is refused");
	json_decref(r);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_CODE, json_pack("{s:i, s:s}", "user", 7,
	    "code", "http://localhost/?state=7&code=good-code&scope=x"));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "not issued to you") != NULL, "a state proxyd never issued "
	    "(the user id) is refused");
	json_decref(r);

	/* user 8 pastes the address user 7 got (shown in a group, say) */
	snprintf(redirect, sizeof(redirect), "http://localhost/?state=%s&"
	    "code=good-code&scope=x", state1);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_CODE, json_pack("{s:i, s:s}", "user", 8,
	    "code", redirect));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "not issued to you") != NULL, "another user's consent address "
	    "is refused");
	json_decref(r);
	snprintf(path, sizeof(path), "%s/state/proxyd/gdrive-8.json", h.dir);
	ok(access(path, F_OK) == -1, "no tokens stored for that user");
	r = gd(IMSG_PROXY_GDRIVE_AUTH_CODE, json_pack("{s:i, s:s}", "user", 7,
	    "code", redirect));
	ok(r != NULL && !h_reply_ok(r), "a state presented by another user "
	    "is used up, for its owner too");
	json_decref(r);

	r = gd(IMSG_PROXY_GDRIVE_AUTH_CODE, json_pack("{s:i, s:s}", "user", 7,
	    "code", "bad-code"));
	ok(r != NULL && !h_reply_ok(r), "a bad code without a state is "
	    "refused");
	json_decref(r);
	snprintf(redirect, sizeof(redirect), "http://localhost/?state=%s&"
	    "code=bad-code", state2);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_CODE, json_pack("{s:i, s:s}", "user", 7,
	    "code", redirect));
	ok(r != NULL && !h_reply_ok(r) &&
	    strstr(h_reply_error(r), "Bad code") != NULL,
	    "a bad code is refused with Google's reason");
	json_decref(r);

	r = gd(IMSG_PROXY_GDRIVE_AUTH_URL, json_pack("{s:i}", "user", 7));
	ok(state_of(json_string_value(json_object_get(json_object_get(r,
	    "result"), "url")), state1, sizeof(state1)) == 0, "a new state");
	json_decref(r);
	snprintf(redirect, sizeof(redirect), "http://localhost/?"
	    "code=good-code&state=%s&scope=x", state1);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_CODE, json_pack("{s:i, s:i, s:s}",
	    "user", 7, "chat", 7, "code", redirect));
	ok(h_reply_ok(r), "code taken from a pasted redirect address with "
	    "the user's own state");
	json_decref(r);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_CODE, json_pack("{s:i, s:s}", "user", 7,
	    "code", redirect));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "used already") != NULL, "a state is used once");
	json_decref(r);

	/* user 21 last wrote in a group: no linking there */
	r = h_call_fd(IMSG_PROXY_TG_UPDATES, json_pack("{s:i, s:i}",
	    "offset", 424300, "timeout", 0), -1);
	json_decref(r);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_URL, json_pack("{s:i, s:i}", "user", 21,
	    "chat", -1001));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "private chat") != NULL, "no consent URL for a group");
	json_decref(r);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_URL, json_pack("{s:i}", "user", 21));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "private chat") != NULL, "nor for a user whose latest message "
	    "proxyd saw was in a group, whatever gatewayd says");
	json_decref(r);
	r = gd(IMSG_PROXY_GDRIVE_AUTH_URL, json_pack("{s:i, s:i}", "user", 9,
	    "chat", -1001));
	ok(r != NULL && !h_reply_ok(r), "nor when the request names a group");
	json_decref(r);

	snprintf(path, sizeof(path), "%s/state/proxyd/gdrive-7.json", h.dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "tokens stored with mode 0600 in proxyd's state directory");
	content = h_read_file(path);
	ok(strstr(content, "rt-1") != NULL, "refresh token stored");
	free(content);

	r = gd(IMSG_PROXY_GDRIVE_STATUS, json_pack("{s:i}", "user", 7));
	ok(json_is_true(json_object_get(json_object_get(r, "result"),
	    "connected")), "connected now");
	json_decref(r);

	r = gd(IMSG_PROXY_GDRIVE_LIST, json_pack("{s:i}", "user", 7));
	ok(h_reply_ok(r), "list ok (after refreshing the expired token)");
	files = json_object_get(json_object_get(r, "result"), "files");
	is_int(json_array_size(files), 2, "two files listed");
	is_str(json_string_value(json_object_get(json_array_get(files, 0),
	    "name")), "notes.txt", "file name mapped");
	is_int(json_integer_value(json_object_get(json_array_get(files, 0),
	    "size")), 12, "size mapped to a number");
	is_str(json_string_value(json_object_get(json_object_get(r, "result"),
	    "next_page_token")), "page2", "next page token passed");
	json_decref(r);
	content = h_read_file(path);
	ok(strstr(content, "at-fresh") != NULL, "refreshed token stored");
	free(content);

	r = gd(IMSG_PROXY_GDRIVE_SEARCH, json_pack("{s:i, s:s}", "user", 7,
	    "query", "notes"));
	ok(h_reply_ok(r) && json_is_null(json_object_get(json_object_get(r,
	    "result"), "next_page_token")), "search ok");
	json_decref(r);
	r = gd(IMSG_PROXY_GDRIVE_SEARCH, json_pack("{s:i, s:s}", "user", 7,
	    "query", "it's"));
	ok(h_reply_ok(r), "search with a quote ok");
	json_decref(r);

	snprintf(path, sizeof(path), "%s/dl", h.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	r = h_call_fd(IMSG_PROXY_GDRIVE_DOWNLOAD, json_pack("{s:i, s:s}",
	    "user", 7, "file_id", "f1"), fd);
	ok(h_reply_ok(r), "download ok");
	is_str(json_string_value(json_object_get(json_object_get(r, "result"),
	    "name")), "notes.txt", "download name");
	json_decref(r);
	content = h_read_file(path);
	is_str(content, "drive file\n", "downloaded content in the fd");
	free(content);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	r = h_call_fd(IMSG_PROXY_GDRIVE_DOWNLOAD, json_pack("{s:i, s:s}",
	    "user", 7, "file_id", "d1"), fd);
	is_str(json_string_value(json_object_get(json_object_get(r, "result"),
	    "mime_type")), "text/plain", "a Google Doc is exported as text");
	json_decref(r);
	content = h_read_file(path);
	is_str(content, "exported as text/plain", "exported content");
	free(content);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	r = h_call_fd(IMSG_PROXY_GDRIVE_DOWNLOAD, json_pack("{s:i, s:s}",
	    "user", 7, "file_id", "../x"), fd);
	ok(r != NULL && !h_reply_ok(r), "an invalid file id is refused");
	json_decref(r);

	r = gd(IMSG_PROXY_GDRIVE_LIST, json_pack("{s:i}", "user", 8));
	ok(r != NULL && !h_reply_ok(r) &&
	    strstr(h_reply_error(r), "not connected") != NULL,
	    "another user is not connected");
	json_decref(r);

	r = gd(IMSG_PROXY_GDRIVE_LOGOUT, json_pack("{s:i}", "user", 7));
	ok(h_reply_ok(r), "logout ok");
	json_decref(r);
	snprintf(path, sizeof(path), "%s/state/proxyd/gdrive-7.json", h.dir);
	ok(access(path, F_OK) == -1, "tokens forgotten");

	j = h_journal();
	leaks = 0;
	json_array_foreach(j, i, e) {
		url = json_string_value(json_object_get(e, "url"));
		body = json_string_value(json_object_get(e, "body"));
		if (strstr(url, CANARY_GSEC) != NULL ||
		    (strstr(body, CANARY_GSEC) != NULL &&
		    strcmp(url, "/oauth/token") != 0))
			leaks++;
	}
	ok(j != NULL, "journal fetched");
	is_int(leaks, 0, "client secret only in token requests");
	json_decref(j);
	h_stop_proxyd();
	content = h_log("proxyd.log");
	ok(!h_has_secret(content) && strstr(content, "at-fresh") == NULL &&
	    strstr(content, "rt-1") == NULL, "no secret or token in the log");
	free(content);
	return (done_testing());
}
