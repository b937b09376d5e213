/*
 * proxyd_fetch.c - fetch_page against the mock servers: pages, limits,
 * redirects, and SSRF attempts that must all be refused (loopback in
 * every spelling, IPv6-mapped, names resolving to loopback, redirects to
 * metadata and internal addresses), failing closed without policyd.
 */
#include "regress.h"
#include "proxyd_harness.h"

static json_t *
fetch(const char *url)
{
	return (h_call(IMSG_PROXY_FETCH_PAGE, json_pack("{s:i, s:s}", "user",
	    7, "url", url)));
}

static int
proxyd_hello(void)
{
	int	 i;

	for (i = 0; i < H_MAXPOL; i++)
		if (h.polfd[i] != -1 && h.pol_hello[i] == PROC_PROXYD)
			return (1);
	return (0);
}

static int
denied(json_t *r)
{
	return (r != NULL && !h_reply_ok(r) &&
	    strncmp(h_reply_error(r), "destination denied", 18) == 0);
}

int
main(void)
{
	json_t		*r, *res, *j, *e;
	const char	*text;
	char		 url[256], own[64], ownurl[256];
	size_t		 i;
	int		 k, hits;
	const char	*ssrf[] = {
		"http://127.0.0.1:",
		"http://2130706433:",
		"http://0x7f000001:",
		"http://0177.0.0.1:",
		"http://127.1:",
		"http://0x7f.0.0.1:",
		"http://[::ffff:127.0.0.1]:",
		"http://[::ffff:7f00:1]:",
		"http://[::1]:",
		"http://[::127.0.0.1]:",
		"http://localhost:",
		"http://LocalHost.:",
		"http://0.0.0.0:",
		"https://127.0.0.1:",
	};

	h_setup(NULL);
	/* no policyd yet: everything fails closed */
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd.log");
	ok(h_connect_gw() == 0, "connected to proxyd as gatewayd");
	ok(h_users_wrote() == 0, "users 1-20 wrote (vouched for by proxyd)");
	r = h_call(IMSG_PROXY_FETCH_PAGE, json_pack("{s:i, s:s}", "user", 999,
	    "url", "http://127.0.0.2/"));
	ok(r != NULL && !h_reply_ok(r) && strstr(h_reply_error(r),
	    "has not written") != NULL, "fetch_page for a user who has not "
	    "written: refused");
	json_decref(r);
	snprintf(url, sizeof(url), "http://127.0.0.2:%d/page", h.p2);
	r = fetch(url);
	ok(denied(r) && strstr(h_reply_error(r), "unavailable") != NULL,
	    "without policyd, fetch_page fails closed");
	json_decref(r);

	h_policyd_listen();
	ok(h_wait(20, proxyd_hello), "proxyd connects to policyd when it "
	    "comes up");

	r = fetch(url);
	ok(h_reply_ok(r), "allowed page fetched");
	res = json_object_get(r, "result");
	text = json_string_value(json_object_get(res, "text"));
	ok(text != NULL && strstr(text, "Public Title") != NULL &&
	    strstr(text, "Public page text.") != NULL,
	    "page converted to text");
	ok(text != NULL && strstr(text, "<h1>") == NULL, "no HTML tags left");
	is_int(json_integer_value(json_object_get(res, "status")), 200,
	    "status 200");
	ok(strstr(h.asked, "127.0.0.2|127.0.0.2|") != NULL,
	    "policyd was asked about the address and port");
	json_decref(r);

	snprintf(url, sizeof(url), "http://127.0.0.2:%d/redirect-ok", h.p2);
	r = fetch(url);
	ok(h_reply_ok(r), "a redirect to an allowed page is followed");
	text = json_string_value(json_object_get(json_object_get(r, "result"),
	    "url"));
	ok(text != NULL && strstr(text, "/plain") != NULL,
	    "the final URL is reported");
	is_str(json_string_value(json_object_get(json_object_get(r, "result"),
	    "text")), "plain text page\n", "plain text passed as is");
	json_decref(r);

	snprintf(url, sizeof(url), "http://127.0.0.2:%d/big", h.p2);
	r = h_call(IMSG_PROXY_FETCH_PAGE, json_pack("{s:i, s:s, s:i}", "user",
	    7, "url", url, "max_bytes", 1000));
	ok(h_reply_ok(r) && json_is_true(json_object_get(json_object_get(r,
	    "result"), "truncated")), "a big page is cut and marked");
	ok(json_string_length(json_object_get(json_object_get(r, "result"),
	    "text")) <= 1000, "cut at max_bytes");
	json_decref(r);

	snprintf(url, sizeof(url), "http://127.0.0.2:%d/binary", h.p2);
	r = fetch(url);
	ok(r != NULL && !h_reply_ok(r) &&
	    strstr(h_reply_error(r), "unsupported content type") != NULL,
	    "binary content refused");
	json_decref(r);

	snprintf(url, sizeof(url), "http://127.0.0.2:%d/404", h.p2);
	r = fetch(url);
	is_int(json_integer_value(json_object_get(r, "status")), 404,
	    "HTTP errors reported with their status");
	json_decref(r);

	snprintf(url, sizeof(url), "http://127.0.0.2:%d/loop", h.p2);
	r = fetch(url);
	ok(r != NULL && strstr(h_reply_error(r), "too many redirects") !=
	    NULL, "redirect loop stopped at max-redirects");
	json_decref(r);

	/* SSRF */
	for (i = 0; i < sizeof(ssrf) / sizeof(ssrf[0]); i++) {
		snprintf(url, sizeof(url), "%s%d/secret", ssrf[i], h.p1);
		r = fetch(url);
		ok(denied(r), "refused: %s (%s)", url, h_reply_error(r));
		json_decref(r);
	}
	ok(strstr(h.asked, "|127.0.0.1|") != NULL,
	    "numeric spellings were asked about as 127.0.0.1");
	ok(strstr(h.asked, "localhost|127.0.0.1|") != NULL,
	    "localhost was resolved and its address checked");

	snprintf(url, sizeof(url), "http://127.0.0.2:%d/redirect-meta", h.p2);
	r = fetch(url);
	ok(denied(r) && strstr(h_reply_error(r), "169.254.169.254") != NULL,
	    "redirect to the metadata address refused");
	json_decref(r);
	snprintf(url, sizeof(url), "http://127.0.0.2:%d/redirect-local",
	    h.p2);
	r = fetch(url);
	ok(denied(r), "redirect to an internal address refused");
	json_decref(r);
	snprintf(url, sizeof(url), "http://127.0.0.2:%d/redirect-decimal",
	    h.p2);
	r = fetch(url);
	ok(denied(r), "redirect to a decimal loopback address refused");
	json_decref(r);

	r = fetch("file:///etc/passwd");
	ok(r != NULL && !h_reply_ok(r) &&
	    strstr(h_reply_error(r), "only http") != NULL, "file:// refused");
	json_decref(r);
	r = fetch("gopher://127.0.0.2/");
	ok(r != NULL && !h_reply_ok(r), "gopher:// refused");
	json_decref(r);
	snprintf(url, sizeof(url), "http://u:p@127.0.0.2:%d/page", h.p2);
	r = fetch(url);
	ok(r != NULL && !h_reply_ok(r) &&
	    strstr(h_reply_error(r), "credentials") != NULL,
	    "credentials in URLs refused");
	json_decref(r);
	r = fetch("http://exa mple.com/");
	ok(r != NULL && !h_reply_ok(r), "an invalid URL is an error");
	json_decref(r);
	r = fetch("http://1.2.3.4.5/");
	ok(r != NULL && !h_reply_ok(r), "a numeric name that is no address "
	    "is an error");
	json_decref(r);

	/* a policyd that denies everything */
	h.pol_deny_all = 1;
	snprintf(url, sizeof(url), "http://127.0.0.2:%d/page", h.p2);
	r = fetch(url);
	ok(denied(r) && strstr(h_reply_error(r), "test-deny") != NULL,
	    "policyd's deny and rule reach gatewayd");
	json_decref(r);
	h.pol_deny_all = 0;

	/* nothing internal was ever reached */
	j = h_journal();
	hits = 0;
	json_array_foreach(j, i, e)
		if (strcmp(json_string_value(json_object_get(e, "url")),
		    "/secret") == 0)
			hits++;
	ok(j != NULL, "journal fetched");
	is_int(hits, 0, "the internal page was never requested");
	json_decref(j);

	/* issue 14 item 10: the host's own interface address */
	ok(h_own_addr(own, sizeof(own)) == 0, "this machine has a "
	    "non-loopback address (%s)", own);
	snprintf(ownurl, sizeof(ownurl), "http://%s:%d/secret", own, h.p1);
	r = fetch(ownurl);
	ok(denied(r) && strstr(h_reply_error(r), "own address") != NULL,
	    "fetch_page to the host's own address refused as such");
	json_decref(r);

	/* policyd goes away: fail closed again */
	for (k = 0; k < H_MAXPOL; k++)
		if (h.polfd[k] != -1) {
			close(h.polfd[k]);
			h.polfd[k] = -1;
		}
	close(h.pol_listen);
	h.pol_listen = -1;
	r = fetch(url);
	ok(denied(r), "after policyd went away, fetch_page fails closed");
	json_decref(r);

	h_stop_proxyd();
	return (done_testing());
}
