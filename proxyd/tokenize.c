/*
 * tokenize.c - dlp tokenize: one placeholder map per conversation
 * (keyed by the chat id gatewayd sends with a model request), kept only
 * in proxyd's memory, never logged, bounded (TOKEN_CHATS maps of at
 * most TOKEN_VALUES values) and dropped after dlp-token-ttl without
 * use.  A model request without a chat gets a map of its own that goes
 * with the request.  The model's answer has its placeholders restored
 * (message content and tool-call arguments) before it goes to gatewayd.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "dlp.h"
#include "log.h"
#include "proxyd.h"

struct chatmap {
	RB_ENTRY(chatmap)	 entry;
	long long		 chat;
	struct dlp_tokens	*tok;
	time_t			 used;
};

static int
chatmap_cmp(const struct chatmap *a, const struct chatmap *b)
{
	return (a->chat < b->chat ? -1 : a->chat > b->chat);
}

RB_HEAD(chatmaps, chatmap);
RB_PROTOTYPE(chatmaps, chatmap, entry, chatmap_cmp)
RB_GENERATE(chatmaps, chatmap, entry, chatmap_cmp)

static struct chatmaps	maps = RB_INITIALIZER(&maps);
static size_t		nmaps;

static time_t
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static void
chatmap_free(struct chatmap *m)
{
	RB_REMOVE(chatmaps, &maps, m);
	nmaps--;
	dlp_tokens_free(m->tok);
	free(m);
}

/* Drop the maps unused for ttl seconds, and the oldest past the cap. */
static void
tokenize_expire(time_t now, long long ttl)
{
	struct chatmap	*m, *next, *old;

	RB_FOREACH_SAFE(m, chatmaps, &maps, next)
		if (now - m->used >= ttl)
			chatmap_free(m);
	while (nmaps >= TOKEN_CHATS) {
		old = NULL;
		RB_FOREACH(m, chatmaps, &maps)
			if (old == NULL || m->used < old->used)
				old = m;
		chatmap_free(old);
	}
}

struct dlp_tokens *
tokenize_chat(long long chat)
{
	struct chatmap	 key, *m;
	time_t		 now = mono();

	tokenize_expire(now, topsh_conf->proxy.dlp_token_ttl);
	key.chat = chat;
	if ((m = RB_FIND(chatmaps, &maps, &key)) == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return (NULL);
		if ((m->tok = dlp_tokens_new(TOKEN_VALUES)) == NULL) {
			free(m);
			return (NULL);
		}
		m->chat = chat;
		RB_INSERT(chatmaps, &maps, m);
		nmaps++;
	}
	m->used = now;
	return (m->tok);
}

/* The map of a chat if it still exists (a reply may come late). */
struct dlp_tokens *
tokenize_find(long long chat)
{
	struct chatmap	 key, *m;

	key.chat = chat;
	if ((m = RB_FIND(chatmaps, &maps, &key)) == NULL)
		return (NULL);
	m->used = mono();
	return (m->tok);
}

void
tokenize_clear(void)
{
	struct chatmap	*m;

	while ((m = RB_MIN(chatmaps, &maps)) != NULL)
		chatmap_free(m);
}

size_t
tokenize_chats(void)
{
	return (nmaps);
}

/* Restore the placeholders in string v; json: v holds JSON text. */
static int
restore_string(struct dlp_tokens *tok, json_t *v, int json)
{
	char	*out;
	size_t	 outlen;
	int	 n;

	if (!json_is_string(v))
		return (0);
	out = dlp_tokens_restore(tok, json_string_value(v),
	    json_string_length(v), json, &outlen, &n);
	if (out == NULL)
		return (n);
	if (json_string_setn(v, out, outlen) == -1)
		n = -1;
	freezero(out, outlen);
	return (n);
}

/*
 * choices[].message: content, and tool_calls[].function.arguments
 * (JSON text: the values go in escaped).  Returns the number restored,
 * -1 on error.
 */
int
tokenize_restore(struct dlp_tokens *tok, json_t *resp)
{
	json_t	*choices, *msg, *calls, *fn;
	size_t	 i, k;
	int	 n, total = 0;

	if (tok == NULL || dlp_tokens_count(tok) == 0)
		return (0);
	choices = json_object_get(resp, "choices");
	for (i = 0; i < json_array_size(choices); i++) {
		msg = json_object_get(json_array_get(choices, i), "message");
		if ((n = restore_string(tok, json_object_get(msg, "content"),
		    0)) == -1)
			return (-1);
		total += n;
		calls = json_object_get(msg, "tool_calls");
		for (k = 0; k < json_array_size(calls); k++) {
			fn = json_object_get(json_array_get(calls, k),
			    "function");
			if ((n = restore_string(tok,
			    json_object_get(fn, "arguments"), 1)) == -1)
				return (-1);
			total += n;
		}
	}
	return (total);
}
