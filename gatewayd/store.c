/*
 * store.c - what gatewayd keeps on disk, under its state directory:
 *
 *   chats/<chat>.md			the chat's history, one line a message
 *   log.md				the global log
 *   users/<user>/<chat>/SESSION.json	the agent session of a user in a chat
 *   users/<user>/<chat>/MEMORY.md	the notes of a user in a chat
 *   offset				the next Telegram update to fetch
 *   users.json				users known to the bot (for send_dm)
 *   schedules.json			scheduled tasks
 *
 * Sessions and memory are kept per user AND per chat, so what a user
 * said in private never reaches a group's context.  Every file is
 * written atomically and bounded in size.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"
#include "log.h"

#define STORE_ENTRY_MAX		4000
#define STORE_JSON_MAX		(4 * 1024 * 1024)

int
store_path(struct store *st, char *buf, size_t sz, const char *fmt, ...)
{
	va_list	 ap;
	int	 n, m;

	n = snprintf(buf, sz, "%s/", st->dir);
	if (n < 0 || (size_t)n >= sz)
		goto toolong;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sz - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sz - n)
		goto toolong;
	return (0);
 toolong:
	errno = ENAMETOOLONG;
	return (-1);
}

int
store_init(struct store *st, const char *dir)
{
	if (strlcpy(st->dir, dir, sizeof(st->dir)) >= sizeof(st->dir)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (st->history_max == 0)
		st->history_max = 64 * 1024;
	if (st->session_max == 0)
		st->session_max = 128 * 1024;
	if (st->memory_max == 0)
		st->memory_max = 16 * 1024;
	if (st->log_max == 0)
		st->log_max = 1024 * 1024;
	if (state_mkdirs(dir, "chats") == -1 ||
	    state_mkdirs(dir, "users") == -1)
		return (-1);
	return (0);
}

/* one line: newlines and control characters become spaces */
static void
flatten(struct buf *b, const char *s, size_t max)
{
	size_t	i, n = strlen(s);

	if (n > max)
		n = max;
	/* do not cut a UTF-8 sequence */
	while (n > 0 && n < strlen(s) && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		buf_add(b, &c, 1);
	}
	if (n < strlen(s))
		buf_puts(b, " [...]");
}

static void
stamp(struct buf *b)
{
	char		 ts[32];
	time_t		 now = time(NULL);
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "[%Y-%m-%d %H:%M] ", &tm);
	buf_puts(b, ts);
}

int
store_history_add(struct store *st, int64_t chat, const char *who,
    const char *text)
{
	struct buf	 b;
	char		 path[PATH_MAX], *line;
	int		 rv;

	if (store_path(st, path, sizeof(path), "chats/%" PRId64 ".md",
	    chat) == -1)
		return (-1);
	buf_init(&b);
	buf_puts(&b, "- ");
	stamp(&b);
	flatten(&b, who, 64);
	buf_puts(&b, ": ");
	flatten(&b, text, STORE_ENTRY_MAX);
	buf_puts(&b, "\n");
	if ((line = buf_finish(&b)) == NULL)
		return (-1);
	rv = state_append(path, line, strlen(line), st->history_max);
	free(line);
	return (rv);
}

/* the last max bytes of a chat's history, whole lines */
char *
store_history_tail(struct store *st, int64_t chat, size_t max)
{
	char	 path[PATH_MAX], *s, *t;
	size_t	 len, from;

	if (store_path(st, path, sizeof(path), "chats/%" PRId64 ".md",
	    chat) == -1)
		return (NULL);
	if (state_read(path, st->history_max + 65536, &s, &len) == -1)
		return (NULL);
	from = state_keep_tail(s, len, max);
	t = strdup(s + from);
	free(s);
	return (t);
}

int
store_log(struct store *st, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	char		 path[PATH_MAX], *msg, *line;
	int		 rv;

	va_start(ap, fmt);
	rv = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rv == -1)
		return (-1);
	buf_init(&b);
	stamp(&b);
	flatten(&b, msg, STORE_ENTRY_MAX);
	buf_puts(&b, "\n");
	free(msg);
	if ((line = buf_finish(&b)) == NULL)
		return (-1);
	rv = -1;
	if (store_path(st, path, sizeof(path), "log.md") == 0)
		rv = state_append(path, line, strlen(line), st->log_max);
	free(line);
	return (rv);
}

static int
user_dir(struct store *st, char *path, size_t sz, int64_t user, int64_t chat,
    const char *file)
{
	char	 sub[64];

	snprintf(sub, sizeof(sub), "users/%" PRId64 "/%" PRId64, user, chat);
	if (file != NULL && state_mkdirs(st->dir, sub) == -1)
		return (-1);
	return (store_path(st, path, sz, "%s/%s", sub,
	    file != NULL ? file : ""));
}

json_t *
store_session_load(struct store *st, int64_t user, int64_t chat)
{
	char	 path[PATH_MAX];
	json_t	*j;

	if (user_dir(st, path, sizeof(path), user, chat, "SESSION.json") ==
	    -1)
		return (json_array());
	j = state_read_json(path, st->session_max * 2 + 65536);
	if (j == NULL || !json_is_array(j)) {
		json_decref(j);
		return (json_array());
	}
	return (j);
}

/* save, trimmed to session_max bytes without orphaning tool results */
int
store_session_save(struct store *st, int64_t user, int64_t chat,
    json_t *msgs)
{
	char	 path[PATH_MAX];
	json_t	*t;
	int	 rv;

	if (user_dir(st, path, sizeof(path), user, chat, "SESSION.json") ==
	    -1)
		return (-1);
	if ((t = context_trim(msgs, st->session_max, 0)) == NULL)
		return (-1);
	rv = state_write_json(path, t);
	json_decref(t);
	return (rv);
}

int
store_session_clear(struct store *st, int64_t user, int64_t chat)
{
	char	 path[PATH_MAX];

	if (user_dir(st, path, sizeof(path), user, chat, "SESSION.json") ==
	    -1)
		return (-1);
	return (state_write(path, "[]", 2));
}

char *
store_memory_load(struct store *st, int64_t user, int64_t chat)
{
	char	 path[PATH_MAX], *s;
	size_t	 len;

	if (user_dir(st, path, sizeof(path), user, chat, "MEMORY.md") == -1)
		return (NULL);
	if (state_read(path, st->memory_max + 65536, &s, &len) == -1)
		return (NULL);
	return (s);
}

int
store_memory_add(struct store *st, int64_t user, int64_t chat,
    const char *note)
{
	struct buf	 b;
	char		 path[PATH_MAX], *line;
	int		 rv;

	if (user_dir(st, path, sizeof(path), user, chat, "MEMORY.md") == -1)
		return (-1);
	buf_init(&b);
	buf_puts(&b, "- ");
	flatten(&b, note, STORE_ENTRY_MAX);
	buf_puts(&b, "\n");
	if ((line = buf_finish(&b)) == NULL)
		return (-1);
	rv = state_append(path, line, strlen(line), st->memory_max);
	free(line);
	return (rv);
}

int
store_memory_clear(struct store *st, int64_t user, int64_t chat)
{
	char	 path[PATH_MAX];

	if (user_dir(st, path, sizeof(path), user, chat, "MEMORY.md") == -1)
		return (-1);
	return (state_write(path, "", 0));
}

int64_t
store_offset_load(struct store *st)
{
	char		 path[PATH_MAX], *s;
	const char	*errstr;
	size_t		 len;
	int64_t		 off;

	if (store_path(st, path, sizeof(path), "offset") == -1 ||
	    state_read(path, 64, &s, &len) == -1)
		return (0);
	s[strcspn(s, "\n")] = '\0';
	off = len == 0 ? 0 : strtonum(s, 0, INT64_MAX, &errstr);
	if (len > 0 && errstr != NULL) {
		log_warnx("%s: offset is %s", path, errstr);
		off = 0;
	}
	free(s);
	return (off);
}

int
store_offset_save(struct store *st, int64_t off)
{
	char	 path[PATH_MAX], num[32];
	int	 n;

	if (store_path(st, path, sizeof(path), "offset") == -1)
		return (-1);
	n = snprintf(num, sizeof(num), "%" PRId64 "\n", off);
	return (state_write_in(STATE_INBOX, path, num, n));
}

static json_t *
load_object(struct store *st, const char *name)
{
	char	 path[PATH_MAX];
	json_t	*j;

	if (store_path(st, path, sizeof(path), "%s", name) == -1)
		return (json_object());
	j = state_read_json(path, STORE_JSON_MAX);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return (json_object());
	}
	return (j);
}

static int
save_object(struct store *st, const char *name, json_t *j)
{
	char	 path[PATH_MAX];

	if (store_path(st, path, sizeof(path), "%s", name) == -1)
		return (-1);
	return (state_write_json(path, j));
}

json_t *
store_users_load(struct store *st)
{
	return (load_object(st, "users.json"));
}

int
store_users_save(struct store *st, json_t *j)
{
	return (save_object(st, "users.json", j));
}

json_t *
store_sched_load(struct store *st)
{
	return (load_object(st, "schedules.json"));
}

int
store_sched_save(struct store *st, json_t *j)
{
	return (save_object(st, "schedules.json", j));
}
