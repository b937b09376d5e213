#!/bin/sh
# gateway_ops.sh - operator logging and optional services (issue 12,
# items 6 and 7), against the Telegram and model stand-ins:
# - proxyd starts without zai_api_key and the Drive secrets, and gatewayd
#   then offers neither search_web nor the Drive tools;
# - one info line per finished job; model failures reach the chat as a
#   plain sentence, the detail (addresses, HTTP codes) only the log
#   (regress/e2e/scenarios/ops.js);
# - a getMe that Telegram answers 401 is retried after 1, 2, 4 ...
#   seconds, each failure logged at error priority with the secret to
#   check;
# - topshctl check asks proxyd for getMe and GET /models: the bot's
#   name, whether llm-model is one the endpoint lists, each with its fix.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

E2E_PROXY_CONF='llm-model "gpt-4o"' E2E_NOSTART=1 e2e_setup ops "access open" "emoji-reactions no" "status-delay 0"
rm -f "$T/secrets/zai_api_key"
for d in policyd sandboxd proxyd gatewayd; do
	topsh_start "$d"
done
wait_for 60 topsh_is_up policyd sandboxd proxyd gatewayd ||
    e2e_fail "the daemons did not all come up"
ok 0 "the daemons are up without zai_api_key"

chk() {
	"$BIN/topshctl" -f "$T/topsh.conf" -s "$T/run" check >"$T/check.out" 2>&1
}
chk
grep -E "telegram|model-api|zai" "$T/check.out" | sed 's/^/#   /'
grep -q "^ok    telegram   getMe: the token is valid, bot @" "$T/check.out"
ok $? "check: getMe through proxyd, the bot's name"
grep -q "^ok    model-api  the endpoint answers and lists llm-model gpt-4o"     "$T/check.out"
ok $? "check: the model endpoint lists llm-model"
grep -q "^warn  secrets .*zai_api_key missing: search_web is not offered"     "$T/check.out"
ok $? "check: no zai_api_key is a warning, not a failure"
sed -i 's|llm-model "gpt-4o"|llm-model "no-such-model"|' "$T/topsh.conf"
"$BIN/topshctl" -s "$T/run" reload >/dev/null 2>&1
chk
rc=$?
[ "$rc" -ne 0 ] && grep -q "^fail  model-api  llm-model no-such-model is not among the [0-9]* models the endpoint lists -> set proxy { llm-model NAME } to one of: gpt-4, gpt-4o" "$T/check.out"
ok $? "check: an unknown llm-model fails, with the names to choose from"
sed -i 's|llm-model "no-such-model"|llm-model "gpt-4o"|' "$T/topsh.conf"
"$BIN/topshctl" -s "$T/run" reload >/dev/null 2>&1
e2e_run ops
rc=$?
ok $rc "the ops scenario passed"

# --- Telegram says 401: backoff and the secret to check
topsh_stop gatewayd
topsh_stop proxyd
P401=$(e2e_port)
node -e '
require("http").createServer((q, r) => {
	r.writeHead(401, { "content-type": "application/json" });
	r.end(JSON.stringify({ ok: false, error_code: 401,
	    description: "Unauthorized" }));
}).listen(Number(process.argv[1]), "127.0.0.1");
' "$P401" >"$T/p401.log" 2>&1 &
E2E_PIDS="$E2E_PIDS $!"
wait_for 10 sh -c "curl -s http://127.0.0.1:$P401/ | grep -q Unauthorized"
sed -i "s|telegram-url \"[^\"]*\"|telegram-url \"http://127.0.0.1:$P401\"|" \
    "$T/topsh.conf"
: >"$T/journal.log"
js=$(stat -c '%d:%i' "$T/journal.log")
topsh_start proxyd
(
	export JOURNAL_STREAM=$js
	exec "$BIN/gatewayd" -d -f "$T/topsh.conf" 2>>"$T/journal.log"
) &
echo $! >"$T/gatewayd.pid"
wait_for 20 grep -q "retrying in 4 s" "$T/journal.log"
ok $? "getMe is retried after 1, 2 and 4 s"
grep "getMe failed" "$T/journal.log" | sed 's/^/# /' | head -n 4
n=$(grep -c "getMe failed" "$T/journal.log")
[ "$n" -ge 3 ] && [ "$n" -le 5 ]
ok $? "no more attempts than the backoff allows ($n in ~7 s)"
for s in 1 2 4; do
	grep -q "^<3>gatewayd\[[0-9]*\]: getMe failed: .*retrying in $s s$" \
	    "$T/journal.log" || break
done
ok $? "each failure is logged at error priority (<3>) with its pause"
grep -q "Telegram refused the bot token: check the telegram_token secret ($T/secrets/telegram_token" \
    "$T/journal.log"
ok $? "and names the secret to check"
! grep -q "TEST-canary" "$T/journal.log"
ok $? "without the token itself"
"$BIN/topshctl" -s "$T/run" status gatewayd >"$T/status.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/status.out"
[ "$rc" -ne 0 ] && grep -q "telegram: getMe failing: Telegram refused the bot token" \
    "$T/status.out"
ok $? "topshctl status says so too, and exits non-zero"
chk
rc=$?
grep -E "telegram" "$T/check.out" | sed 's/^/#   /'
[ "$rc" -ne 0 ] && grep -q "^fail  telegram   getMe: HTTP 401 Unauthorized: Telegram does not accept the bot token -> write the token @BotFather gave into $T/secrets/telegram_token, then restart proxyd" "$T/check.out"
ok $? "check: a refused token fails, naming the secret file"
! grep -q "TEST-canary" "$T/check.out"
ok $? "check: without the token itself"
topsh_stop gatewayd
topsh_stop proxyd

done_testing
