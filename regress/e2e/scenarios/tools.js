// tools.js - approvals (accepted, pressed by the wrong user, denied,
// timed out), a denied command, ask_user, scheduled tasks, memory,
// send_dm, and two users whose files stay apart, asserted on what the
// Telegram side received and on what the model was given.
'use strict';

const h = require('../harness');

const frank = h.user(2001, 'Frank');
const mallory = h.user(2999, 'Mallory');
const grace = h.user(2002, 'Grace');
const u1 = h.user(3001, 'Uno');
const u2 = h.user(3002, 'Dos');

// the latest message with buttons sent to chat, after journal index from
function keyboard(j, chatId) {
	const withKb = h.calls(j, 'sendMessage', chatId).filter((c) =>
	    c.body.reply_markup && c.body.reply_markup.inline_keyboard);
	return withKb.length > 0 ? withKb[withKb.length - 1] : null;
}

function buttons(msg) {
	return [].concat(...msg.body.reply_markup.inline_keyboard);
}

function toolResults(reqs) {
	return [].concat(...reqs.map((b) => b.messages.filter((x) =>
	    x.role === 'tool').map((x) => String(x.content))));
}

async function approvals() {
	const chat = h.privateChat(frank);
	await h.say(frank, chat, 'E2E-APPROVE-YES');
	let j = await h.waitFor((j) => keyboard(j, frank.id) && j);
	h.ok(j !== null, 'approval: a message with buttons was sent');
	if (j === null)
		return;
	let kb = keyboard(j, frank.id);
	const b = buttons(kb);
	h.ok(b.length === 2 && b[0].text.includes('Approve') &&
	    b[1].text.includes('Deny'), 'approval: Approve and Deny buttons', b);
	h.ok(kb.body.text.includes('chmod 777') &&
	    kb.body.text.includes('approve-chmod-777'),
	    'approval: the command and the rule are shown', kb.body.text);
	// someone else presses Approve: refused, nothing runs
	await h.press(mallory, chat, 1, b[0].callback_data);
	j = await h.waitFor((j) => h.calls(j, 'answerCallbackQuery').find((c) =>
	    String(c.body.text).includes('Only the person')) && j);
	h.ok(j !== null, 'approval: another user\'s press is refused');
	// give a wrongly taken press the time to run the command
	await h.sleep(1500);
	let reqs = await h.modelRequests('E2E-APPROVE-YES');
	h.ok(!toolResults(reqs).some((t) => t.includes('approved-ran')),
	    'approval: and the command did not run');
	h.ok(!h.sent(await h.journal(), frank.id, 'approved and done'),
	    'approval: the agent did not go on after another user\'s press');
	await h.press(frank, chat, 1, b[0].callback_data);
	j = await h.waitFor((j) => h.calls(j, 'answerCallbackQuery').find((c) =>
	    String(c.body.text).includes('Approve')) && j);
	h.ok(j !== null, 'approval: the asker\'s own press is the one taken ' +
	    '(not answered as expired)');
	j = await h.waitFor((j) => h.sent(j, frank.id, 'approved and done') && j);
	h.ok(j !== null, 'approval accepted: the agent went on');
	reqs = await h.modelRequests('E2E-APPROVE-YES');
	h.ok(toolResults(reqs).some((t) => t.includes('approved-ran') &&
	    t.includes('exit code: 0')),
	    'approval accepted: the command ran after the re-check');
	h.ok(h.calls(j, 'editMessageText', frank.id).some((c) =>
	    String(c.body.text).includes('Approve')),
	    'approval accepted: the question shows the answer');

	await h.say(frank, chat, 'E2E-APPROVE-NO');
	j = await h.waitFor((j) => {
		const k = keyboard(j, frank.id);
		return k && k.body.text.includes('no.sh') && j;
	});
	kb = j && keyboard(j, frank.id);
	if (kb)
		await h.press(frank, chat, 1, buttons(kb)[1].callback_data);
	j = await h.waitFor((j) => h.sent(j, frank.id, 'not doing it') && j);
	h.ok(j !== null, 'approval denied: the agent was told');
	reqs = await h.modelRequests('E2E-APPROVE-NO');
	h.ok(!toolResults(reqs).some((t) => t.includes('denied-ran')),
	    'approval denied: the command never ran');

	await h.say(frank, chat, 'E2E-APPROVE-LATE');
	j = await h.waitFor((j) => h.sent(j, frank.id, 'timed out, fine') && j);
	h.ok(j !== null, 'approval timed out: counted as deny');
	h.ok(j && h.calls(j, 'editMessageText', frank.id).some((c) =>
	    String(c.body.text).includes('No answer in time')),
	    'approval timed out: the question says so');
	reqs = await h.modelRequests('E2E-APPROVE-LATE');
	h.ok(!toolResults(reqs).some((t) => t.includes('late-ran')),
	    'approval timed out: the command never ran');
	// a late press changes nothing
	if (j) {
		const k = h.calls(j, 'sendMessage', frank.id).filter((c) =>
		    c.body.reply_markup && String(c.body.text).includes(
		    'late.sh')).pop();
		if (k)
			await h.press(frank, chat, 1,
			    buttons(k)[0].callback_data);
		const jj = await h.waitFor((j) => h.calls(j,
		    'answerCallbackQuery').find((c) => String(c.body.text)
		    .includes('expired')) && j);
		h.ok(jj !== null, 'a press after the timeout is answered as expired');
	}

	await h.say(frank, chat, 'E2E-DENY');
	j = await h.waitFor((j) => h.sent(j, frank.id, 'that was refused') && j);
	h.ok(j !== null, 'a denied command: the agent is told');
	reqs = await h.modelRequests('E2E-DENY');
	h.ok(toolResults(reqs).some((t) => t.includes('denied')),
	    'a denied command: refused with the rule', toolResults(reqs));
}

async function askUser() {
	const chat = h.privateChat(frank);
	await h.say(frank, chat, 'E2E-ASK');
	let j = await h.waitFor((j) => {
		const k = keyboard(j, frank.id);
		return k && k.body.text.includes('Which color') && j;
	});
	h.ok(j !== null, 'ask_user: the question has buttons');
	if (j === null)
		return;
	const b = buttons(keyboard(j, frank.id));
	h.ok(b.length === 2 && b[1].text === 'blue', 'ask_user: the options', b);
	await h.press(frank, chat, 1, b[1].callback_data);
	j = await h.waitFor((j) => h.sent(j, frank.id, 'blue it is') && j);
	h.ok(j !== null, 'ask_user: the answer went back to the agent');
}

async function schedules() {
	const chat = h.privateChat(frank);
	await h.say(frank, chat, 'E2E-REMIND');
	let j = await h.waitFor((j) => h.sent(j, frank.id, 'reminder set') && j);
	h.ok(j !== null, 'schedule_task: reminder set');
	h.ok((await h.stateWait('schedules.json', (s) =>
	    s.includes('drink water'))).includes('drink water'),
	    'schedule_task: kept in schedules.json');
	j = await h.waitFor((j) => h.sent(j, frank.id, 'Reminder: drink water') &&
	    j);
	h.ok(j !== null, 'schedule_task: the reminder arrived');
	await h.say(frank, chat, 'E2E-LATER-CMD');
	j = await h.waitFor((j) => h.sent(j, frank.id, 'scheduled-cmd-ran') && j);
	h.ok(j !== null, 'schedule_task: a delayed command ran in the sandbox');
}

async function memory() {
	const chat = h.privateChat(frank);
	await h.say(frank, chat, 'E2E-MEMO-ADD');
	let j = await h.waitFor((j) => h.sent(j, frank.id, 'noted') && j);
	h.ok(j !== null, 'memory: note added');
	h.ok((await h.stateWait('users/2001/2001/MEMORY.md', (s) =>
	    s.includes('likes green tea'))).includes('likes green tea'),
	    'memory: in MEMORY.md');
	await h.say(frank, chat, 'E2E-MEMO-USE');
	j = await h.waitFor((j) => h.sent(j, frank.id, 'I remember') && j);
	const reqs = await h.modelRequests('E2E-MEMO-USE');
	h.ok(reqs.length > 0 && reqs[0].messages.some((x) => x.role ===
	    'system' && String(x.content).includes('likes green tea')),
	    'memory: the notes are in the next context');
}

async function sendDm() {
	await h.say(grace, h.privateChat(grace), 'E2E-HELLO');
	let j = await h.waitFor((j) => h.sent(j, grace.id, 'hello there') && j);
	h.ok(j !== null, 'send_dm: the recipient talked to the bot first');
	await h.say(frank, h.privateChat(frank), 'E2E-DM-OK');
	j = await h.waitFor((j) => h.sent(j, frank.id, 'dm done') && j);
	h.ok(j !== null && h.sent(j, grace.id, 'hello from frank'),
	    'send_dm: delivered to a known user');
	await h.say(frank, h.privateChat(frank), 'E2E-DM-UNKNOWN');
	j = await h.waitFor((j) => h.sent(j, frank.id, 'cannot dm') && j);
	h.ok(j !== null, 'send_dm: refused for a user the bot never met');
	// dm-per-hour 1 (gateway_e2e_tools.sh): the second DM in the hour
	await h.say(frank, h.privateChat(frank), 'E2E-DM-AGAIN');
	j = await h.waitFor((j) => (h.sent(j, frank.id, 'dm limited') ||
	    h.sent(j, frank.id, 'dm sent again')) && j);
	h.ok(j !== null && h.sent(j, frank.id, 'dm limited'),
	    'send_dm: dm-per-hour 1 refuses the second message in the hour');
	h.ok(!h.sent(await h.journal(), grace.id, 'second dm from frank'),
	    'send_dm: and that message was not delivered');
}

async function twoUsers() {
	await h.say(u1, h.privateChat(u1), 'E2E-SECRET-W');
	let j = await h.waitFor((j) => h.sent(j, u1.id, 'saved') && j);
	h.ok(j !== null, 'user 1 saved a file');
	await h.say(u2, h.privateChat(u2), 'E2E-SECRET-R');
	j = await h.waitFor((j) => h.sent(j, u2.id, 'probe done') && j);
	h.ok(j !== null, 'user 2 looked around');
	let reqs = await h.modelRequests('E2E-SECRET-R');
	const out = toolResults(reqs).join('\n');
	h.ok(out.includes('end-of-probe') && !out.includes('alpha-3001'),
	    'user 2 cannot see user 1\'s file from the shell', out);
	await h.say(u2, h.privateChat(u2), 'E2E-SECRET-ESC');
	j = await h.waitFor((j) => h.sent(j, u2.id, 'escape tried') && j);
	reqs = await h.modelRequests('E2E-SECRET-ESC');
	const esc = toolResults(reqs).join('\n');
	h.ok(esc.includes('Error') && !esc.includes('alpha-3001'),
	    'read_file ../3001/secret.txt is refused', esc);
	await h.say(u2, h.privateChat(u2), 'E2E-SECRET-S');
	j = await h.waitFor((j) => h.sent(j, u2.id, 'no such file') && j);
	h.ok(j !== null && h.calls(j, 'sendDocument', u2.id).length === 0,
	    'send_file: user 2 has no secret.txt to send');
	await h.say(u1, h.privateChat(u1), 'E2E-SECRET-S');
	j = await h.waitFor((j) => h.sent(j, u1.id, 'sent it') && j);
	const d = j ? h.calls(j, 'sendDocument', u1.id) : [];
	h.ok(d.length === 1 && Buffer.from(d[0].body.__files[0].content,
	    'base64').toString() === 'alpha-3001\n',
	    'send_file: user 1 gets their own file');
}

(async () => {
	await approvals();
	await askUser();
	await schedules();
	await memory();
	await sendDm();
	await twoUsers();
	h.done();
})().catch((e) => {
	h.ok(false, `scenario crashed: ${e.stack}`);
	h.done();
});
