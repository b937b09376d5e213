/*
 * proxyd_pacing.c - per-chat pacing of Telegram messages: with
 * telegram-chat-interval 2 and telegram-chat-burst 2, two messages to
 * one chat go at once and a third waits its turn while a message to
 * another chat goes at once, so the other chat's answer arrives before
 * it (an order, not a measured time); calls that do not post into a
 * chat are not paced at all.  Messages to one chat reach Telegram one
 * at a time, in order: a slow first one is not overtaken.  Optional
 * calls (status messages) are skipped instead of queued when they would
 * take the chat's last token or a busy second's send.  And a slow model
 * answer does not hold up a quick one.
 */
#include "regress.h"
#include "proxyd_harness.h"

static json_t *
msg(long long chat, const char *text)
{
	return (json_pack("{s:s, s:{s:I, s:s}}", "method", "sendMessage",
	    "params", "chat_id", (json_int_t)chat, "text", text));
}

/* the same call marked optional (a status message) */
static json_t *
opt(json_t *req)
{
	json_object_set_new(req, "optional", json_true());
	return (req);
}

static int
pos(const uint32_t *ids, int n, uint32_t id)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return (i);
	return (n);
}

int
main(void)
{
	uint32_t	 ids[8], many[20], a1, a2, a3, b1, act;
	json_t		*r;
	int		 n;

	/* the harness turns pacing off (0): set 2 seconds instead */
	h_setup("\ttelegram-chat-burst 2\n");
	{
		char	 path[600];
		char	*c, *p;
		int	 fd;

		snprintf(path, sizeof(path), "%s/topsh.conf", h.dir);
		c = h_read_file(path);
		if ((p = strstr(c, "telegram-chat-interval 0")) != NULL)
			p[strlen("telegram-chat-interval ")] = '2';
		fd = open(path, O_WRONLY | O_TRUNC);
		ok(fd != -1 && write(fd, c, strlen(c)) == (ssize_t)strlen(c),
		    "interval set to 2 seconds");
		close(fd);
		free(c);
	}
	h_policyd_listen();
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd.log");
	ok(h_connect_gw() == 0, "connected to proxyd as gatewayd");

	a1 = h_send(IMSG_PROXY_TG_CALL, msg(1001, "first to A"));
	a2 = h_send(IMSG_PROXY_TG_CALL, msg(1001, "second to A"));
	a3 = h_send(IMSG_PROXY_TG_CALL, msg(1001, "third to A"));
	b1 = h_send(IMSG_PROXY_TG_CALL, msg(2002, "first to B"));
	act = h_send(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:{s:I, s:s}}",
	    "method", "sendChatAction", "params", "chat_id", (json_int_t)1001,
	    "action", "typing"));
	n = h_collect(5, ids);
	is_int(n, 5, "five replies");
	ok(n == 5 && ids[4] == a3, "the third message to chat A comes last");
	ok(n == 5 && (ids[0] == a1 || ids[1] == a1 || ids[2] == a1 ||
	    ids[3] == a1) && (ids[0] == a2 || ids[1] == a2 || ids[2] == a2 ||
	    ids[3] == a2), "the first two messages to chat A go as a burst");
	ok(n == 5 && pos(ids, n, a1) < pos(ids, n, a2),
	    "and in the order they were sent");
	ok(n == 5 && (ids[0] == b1 || ids[1] == b1 || ids[2] == b1 ||
	    ids[3] == b1), "chat B is not held up by chat A");
	ok(n == 5 && (ids[0] == act || ids[1] == act || ids[2] == act ||
	    ids[3] == act), "a chat action is not paced behind the third "
	    "message");

	/* a slow send is not overtaken by the next one to the same chat */
	a1 = h_send(IMSG_PROXY_TG_CALL, msg(3003, "SLOW first to C"));
	a2 = h_send(IMSG_PROXY_TG_CALL, msg(3003, "second to C"));
	n = h_collect(2, ids);
	is_int(n, 2, "two replies from chat C");
	ok(n == 2 && ids[0] == a1 && ids[1] == a2,
	    "a slow message to chat C is not overtaken by the next one");

	/*
	 * optional calls (status messages): sent when the limits allow,
	 * skipped, never queued, when they would take the chat's token
	 * for the answer or when 20 sends went in the last second
	 */
	r = h_call(IMSG_PROXY_TG_CALL, opt(msg(4004, "status to D")));
	ok(h_reply_ok(r), "an optional message goes when all is quiet");
	json_decref(r);
	r = h_call(IMSG_PROXY_TG_CALL, msg(4004, "answer to D"));
	ok(h_reply_ok(r), "the answer after it goes as the burst's second");
	json_decref(r);
	r = h_call(IMSG_PROXY_TG_CALL, opt(msg(4004, "edit to D")));
	ok(!h_reply_ok(r) && strstr(h_reply_error(r), "skipped") != NULL,
	    "an optional message with the chat's bucket empty is skipped");
	json_decref(r);
	for (n = 0; n < 20; n++)
		h_send(IMSG_PROXY_TG_CALL, msg(5001 + n, "one of twenty"));
	is_int(h_collect(20, many), 20, "twenty messages to twenty chats");
	r = h_call(IMSG_PROXY_TG_CALL, opt(msg(6006, "status to E")));
	ok(!h_reply_ok(r) && strstr(h_reply_error(r), "skipped") != NULL,
	    "after twenty sends in a second an optional one is skipped");
	json_decref(r);
	r = h_call(IMSG_PROXY_TG_CALL, msg(6006, "answer to E"));
	ok(h_reply_ok(r), "while an answer still goes");
	json_decref(r);

	/* concurrency: a slow model answer does not block a quick one */
	a1 = h_send(IMSG_PROXY_LLM_CHAT, json_pack("{s:{s:[{s:s, s:s}]}}",
	    "request", "messages", "role", "user", "content", "slow"));
	b1 = h_send(IMSG_PROXY_LLM_CHAT, json_pack("{s:{s:[{s:s, s:s}]}}",
	    "request", "messages", "role", "user", "content", "hi"));
	n = h_collect(2, ids);
	is_int(n, 2, "both model requests answered");
	ok(n == 2 && ids[0] == b1 && ids[1] == a1,
	    "the quick answer arrives while the slow one is pending");
	h_stop_proxyd();
	return (done_testing());
}
