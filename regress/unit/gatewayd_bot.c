/*
 * gatewayd_bot.c - who the bot answers in groups, commands, file names
 * and contents coming in, the inbox record of a message.
 */
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../gatewayd/gateway.h"

static void
test_addressed(void)
{
	ok(bot_addressed("@TestBot hi", "TestBot", 0, 666), "mention");
	ok(bot_addressed("hey @testbot, hi", "TestBot", 0, 666),
	    "mention, any case, before a comma");
	ok(bot_addressed("HI @TESTBOT", "TestBot", 0, 666), "upper case");
	ok(!bot_addressed("@TestBotX hi", "TestBot", 0, 666),
	    "a longer name is someone else");
	ok(!bot_addressed("mail me@TestBot.org", "TestBot", 0, 666),
	    "inside a word is not a mention");
	ok(!bot_addressed("no mention", "TestBot", 0, 666), "no mention");
	ok(bot_addressed("thanks", "TestBot", 666, 666), "reply to the bot");
	ok(!bot_addressed("thanks", "TestBot", 42, 666),
	    "reply to someone else");
	ok(!bot_addressed("@TestBot", NULL, 0, 0), "no bot name known yet");
}

static void
test_commands(void)
{
	char	cmd[32];

	ok(bot_command("/help", "TestBot", cmd, sizeof(cmd)) &&
	    strcmp(cmd, "help") == 0, "/help");
	ok(bot_command("/Clear now", "TestBot", cmd, sizeof(cmd)) &&
	    strcmp(cmd, "clear") == 0, "/Clear with an argument");
	ok(bot_command("/status@testbot", "TestBot", cmd, sizeof(cmd)) &&
	    strcmp(cmd, "status") == 0, "/status@ourbot");
	ok(!bot_command("/status@OtherBot", "TestBot", cmd, sizeof(cmd)),
	    "a command for another bot");
	ok(!bot_command("/", "TestBot", cmd, sizeof(cmd)), "a lone slash");
	ok(!bot_command("/usr/bin/ls", "TestBot", cmd, sizeof(cmd)),
	    "a path is not a command");
	ok(!bot_command("hello /help", "TestBot", cmd, sizeof(cmd)),
	    "not at the start");
}

static void
test_files(void)
{
	char	 name[128], *b;

	safe_filename("report.pdf", name, sizeof(name));
	is_str(name, "report.pdf", "plain name kept");
	safe_filename("../../etc/passwd", name, sizeof(name));
	ok(strchr(name, '/') == NULL && name[0] != '.',
	    "no slash, no leading dot: %s", name);
	safe_filename(".env", name, sizeof(name));
	is_str(name, "_env", "hidden file made visible");
	safe_filename("", name, sizeof(name));
	is_str(name, "file", "empty name");
	safe_filename("a b;$(x)", name, sizeof(name));
	is_str(name, "a_b___x_", "shell characters replaced");
	b = b64_encode((const unsigned char *)"hello!?", 7);
	is_str(b, "aGVsbG8hPw==", "base64, two pads");
	free(b);
	b = b64_encode((const unsigned char *)"abc", 3);
	is_str(b, "YWJj", "base64, no pad");
	free(b);
	b = b64_encode((const unsigned char *)"ab", 2);
	is_str(b, "YWI=", "base64, one pad");
	free(b);
}

static void
test_chatmsg(void)
{
	struct chatmsg	 m, *r;
	json_t		*j;

	memset(&m, 0, sizeof(m));
	m.update_id = 77;
	m.user = 42;
	m.chat = -100;
	m.msgid = 9;
	m.group = 1;
	m.name = "Ann";
	m.username = "ann";
	m.text = "hi \xe2\x82\xac";
	m.file_id = "F1";
	m.file_name = "a.txt";
	m.file_size = 12;
	m.inbox_id = 5;
	j = chatmsg_json(&m);
	r = chatmsg_from_json(j);
	ok(r != NULL && r->user == 42 && r->chat == -100 && r->msgid == 9 &&
	    r->group == 1 && r->inbox_id == 5 && r->update_id == 77 &&
	    strcmp(r->text, m.text) == 0 && strcmp(r->username, "ann") == 0 &&
	    strcmp(r->file_id, "F1") == 0 && r->file_size == 12,
	    "inbox record round-trips");
	chatmsg_free(r);
	json_decref(j);
	j = json_pack("{s:s}", "text", "no user");
	ok(chatmsg_from_json(j) == NULL, "a record without a user is refused");
	json_decref(j);
}

int
main(void)
{
	test_addressed();
	test_commands();
	test_files();
	test_chatmsg();
	return (done_testing());
}
