/*
 * gatewayd_state.c - atomic bounded files, history per chat, sessions
 * and memory per user and per chat, the update offset.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "regress.h"
#include "daemon.h"
#include "../../gatewayd/gateway.h"

static char	tmpdir[] = "/tmp/gw-state.XXXXXX";

static int
count_tmp(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".tmp") != NULL)
			n++;
	closedir(d);
	return (n);
}

static void
rmrf(const char *path)
{
	char	cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		printf("# rm failed\n");
}

static void
test_files(void)
{
	char	 path[PATH_MAX], *s;
	size_t	 len;
	int	 i;

	snprintf(path, sizeof(path), "%s/f", tmpdir);
	ok(state_write(path, "one", 3) == 0, "write");
	ok(state_read(path, 100, &s, &len) == 0 && len == 3 &&
	    strcmp(s, "one") == 0, "read back");
	free(s);
	ok(state_write(path, "two!", 4) == 0, "overwrite");
	ok(state_read(path, 100, &s, &len) == 0 && strcmp(s, "two!") == 0,
	    "overwritten whole");
	free(s);
	is_int(count_tmp(tmpdir), 0, "no temporary file left behind");
	ok(state_read(path, 2, &s, &len) == -1, "too large refused");
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ok(state_read(path, 10, &s, &len) == 0 && len == 0,
	    "missing reads empty");
	free(s);

	snprintf(path, sizeof(path), "%s/bounded", tmpdir);
	for (i = 0; i < 100; i++) {
		char line[32];

		snprintf(line, sizeof(line), "line %03d\n", i);
		state_append(path, line, strlen(line), 100);
	}
	ok(state_read(path, 1000, &s, &len) == 0, "bounded read");
	ok(len <= 100, "bounded append kept %zu <= 100 bytes", len);
	ok(strncmp(s, "line ", 5) == 0, "cut at a line start");
	ok(strstr(s, "line 099\n") != NULL, "newest line kept");
	ok(strstr(s, "line 000") == NULL, "oldest line dropped");
	free(s);

	is_int(state_keep_tail("ab\ncd\nef\n", 9, 5), 6,
	    "keep_tail at line boundary");
	is_int(state_keep_tail("abc", 3, 5), 0, "keep_tail short");
}

static void
test_store(void)
{
	struct store	 st;
	json_t		*s, *m;
	char		*t, *mem;
	char		 path[PATH_MAX];
	int		 i;

	memset(&st, 0, sizeof(st));
	st.history_max = 400;
	st.session_max = 2000;
	ok(store_init(&st, tmpdir) == 0, "store init");

	ok(store_history_add(&st, -100, "alice", "hello\nthere") == 0,
	    "history add");
	t = store_history_tail(&st, -100, 1000);
	ok(t != NULL && strstr(t, "alice: hello there") != NULL,
	    "history line, newline flattened");
	free(t);
	for (i = 0; i < 50; i++)
		store_history_add(&st, -100, "bob", "a message of some length");
	snprintf(path, sizeof(path), "%s/chats/-100.md", tmpdir);
	{
		struct stat sb;

		ok(stat(path, &sb) == 0 && sb.st_size <= 400,
		    "chats/<chat>.md bounded");
	}

	/* sessions per user and per chat */
	s = json_pack("[{s:s,s:s}]", "role", "user", "content",
	    "private secret plan");
	ok(store_session_save(&st, 42, 42, s) == 0, "private session saved");
	json_decref(s);
	s = store_session_load(&st, 42, -100);
	is_int(json_array_size(s), 0,
	    "the same user's group session does not see the private one");
	json_decref(s);
	s = store_session_load(&st, 42, 42);
	ok(json_array_size(s) == 1 && strcmp(json_string_value(json_object_get(
	    json_array_get(s, 0), "content")), "private secret plan") == 0,
	    "private session loads");
	json_decref(s);
	s = store_session_load(&st, 43, 42);
	is_int(json_array_size(s), 0, "another user sees nothing");
	json_decref(s);

	/* session bounded */
	s = json_array();
	for (i = 0; i < 100; i++) {
		m = json_pack("{s:s,s:s}", "role", i % 2 ? "assistant" : "user",
		    "content", "0123456789012345678901234567890123456789");
		json_array_append_new(s, m);
	}
	store_session_save(&st, 42, 42, s);
	json_decref(s);
	snprintf(path, sizeof(path), "%s/users/42/42/SESSION.json", tmpdir);
	{
		struct stat sb;

		ok(stat(path, &sb) == 0 && sb.st_size <= 2000,
		    "SESSION.json bounded");
	}
	ok(store_session_clear(&st, 42, 42) == 0, "session clear");
	s = store_session_load(&st, 42, 42);
	is_int(json_array_size(s), 0, "cleared session is empty");
	json_decref(s);

	ok(store_memory_add(&st, 42, 42, "likes tea") == 0, "memory add");
	mem = store_memory_load(&st, 42, 42);
	ok(mem != NULL && strstr(mem, "- likes tea\n") != NULL, "MEMORY.md");
	free(mem);
	mem = store_memory_load(&st, 42, -100);
	ok(mem != NULL && *mem == '\0', "memory per chat");
	free(mem);
	store_memory_clear(&st, 42, 42);
	mem = store_memory_load(&st, 42, 42);
	ok(mem != NULL && *mem == '\0', "memory cleared");
	free(mem);

	is_int(store_offset_load(&st), 0, "no offset yet");
	ok(store_offset_save(&st, 123456789012LL) == 0, "offset saved");
	is_int(store_offset_load(&st), 123456789012LL, "offset read back");
	snprintf(path, sizeof(path), "%s/offset", tmpdir);
	state_write(path, "garbage", 7);
	is_int(store_offset_load(&st), 0, "garbage offset reads 0");

	ok(store_log(&st, "user %d did %s", 42, "x") == 0, "global log");
	snprintf(path, sizeof(path), "%s/log.md", tmpdir);
	{
		char	*s2;
		size_t	 len;

		ok(state_read(path, 10000, &s2, &len) == 0 &&
		    strstr(s2, "user 42 did x") != NULL, "log line written");
		free(s2);
	}
	snprintf(path, sizeof(path), "%s/users.json", tmpdir);
	state_write(path, "{broken", 7);
	s = store_users_load(&st);
	ok(json_is_object(s) && json_object_size(s) == 0,
	    "broken users.json reads as empty, no crash");
	json_decref(s);
}

/* the file as it is on disk, not as state_read() sees it */
static int
on_disk(const char *path, const char *want)
{
	char	 buf[256];
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return (want == NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (want != NULL && strcmp(buf, want) == 0);
}

static const char	*synced_path;
static int		 synced_seen;

/* 2: the file was on disk when called back; 1: it was not */
static void
synced(void *arg)
{
	synced_seen = on_disk(synced_path, "synced") ? 2 : 1;
}

/* group commit: writes wait in memory for the loop, reads see them */
static void
test_commit(void)
{
	struct event_base	*base;
	char			 path[PATH_MAX], bad[PATH_MAX + 16], dir[PATH_MAX];
	char			*s;
	size_t			 len;
	int			 i;

	if ((base = event_base_new()) == NULL)
		return;
	topsh_base = base;
	snprintf(path, sizeof(path), "%s/commit.json", tmpdir);
	ok(state_write(path, "first", 5) == 0 && on_disk(path, NULL),
	    "a write waits for the commit");
	ok(state_read(path, 100, &s, &len) == 0 && strcmp(s, "first") == 0 &&
	    len == 5, "a read sees the waiting write");
	free(s);
	ok(state_read(path, 3, &s, &len) == -1, "too large refused, waiting");
	ok(state_write(path, "second", 6) == 0 && state_pending() == 1,
	    "a second write of the same file replaces the first");
	for (i = 0; i < 100 && state_pending() > 0; i++)
		event_base_loop(base, EVLOOP_ONCE);
	ok(on_disk(path, "second") && state_pending() == 0 &&
	    count_tmp(tmpdir) == 0, "the loop commits it, the latest contents");
	synced_path = path;
	ok(state_write(path, "synced", 6) == 0 && state_sync(STATE_BULK, synced, NULL) ==
	    0 && synced_seen == 0, "state_sync calls back later, not inside");
	for (i = 0; i < 100 && synced_seen == 0; i++)
		event_base_loop(base, EVLOOP_ONCE);
	is_int(synced_seen, 2, "called back once the write is on disk");
	ok(state_write(path, "third", 5) == 0 && state_flush() == 0 &&
	    on_disk(path, "third"), "state_flush writes at once");
	snprintf(dir, sizeof(dir), "%s/later", tmpdir);
	snprintf(bad, sizeof(bad), "%s/x.json", dir);
	ok(state_write(bad, "kept", 4) == 0 && state_flush() == -1 &&
	    state_pending() == 1, "a file that cannot be written stays pending");
	ok(state_read(bad, 100, &s, &len) == 0 && strcmp(s, "kept") == 0,
	    "and is still read back");
	free(s);
	mkdir(dir, 0700);
	ok(state_flush() == 0 && on_disk(bad, "kept") && state_pending() == 0,
	    "written once it can be");
	ok(state_append(path, "+4\n", 3, 100) == 0 && state_append(path,
	    "+5\n", 3, 100) == 0 && state_flush() == 0 &&
	    on_disk(path, "third+4\n+5\n"), "appends build on waiting writes");
	topsh_base = NULL;
	event_base_free(base);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return (1);
	test_files();
	test_store();
	test_commit();
	rmrf(tmpdir);
	return (done_testing());
}
