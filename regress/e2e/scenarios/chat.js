// chat.js - conversations as users have them, asserted on what the
// Telegram side received: a private chat where the agent writes a file,
// runs it and sends it back; a group where only mentions and replies to
// the bot are answered; commands; HTML fallback; long replies; repaired
// tool-call arguments; a file the user sends; a failing model; a user
// flooding messages while another user is still served.
'use strict';

const h = require('../harness');

const alice = h.user(1001, 'Alice');
const bob = h.user(1002, 'Bob');
const dave = h.user(1003, 'Dave');
const eve = h.user(1004, 'Eve');
const carol = h.user(1005, 'Carol');
const group = h.groupChat(-2001, 'E2E group');

async function privateFile() {
	const m = await h.say(alice, h.privateChat(alice), 'E2E-FILE please');
	const j = await h.waitFor((j) => h.sent(j, alice.id, 'Done: I wrote') &&
	    h.reactions(j, alice.id, m.message_id).includes('👍') &&
	    h.calls(j, 'deleteMessage', alice.id).length > 0 && j);
	h.ok(j !== null, 'private chat: the final answer arrived');
	if (j === null)
		return;
	const docs = h.calls(j, 'sendDocument', alice.id);
	h.ok(docs.length === 1, 'send_file: one document sent', docs.length);
	const f = docs.length > 0 && docs[0].body.__files ?
	    docs[0].body.__files[0] : null;
	h.ok(f && f.name === 'out.txt', 'the document is out.txt', f);
	h.ok(f && Buffer.from(f.content, 'base64').toString() ===
	    'hello-from-sandbox\n', 'its content is what the script printed', f);
	h.ok(docs.length > 0 && docs[0].body.caption === 'your output',
	    'with the caption');
	const fin = h.sent(j, alice.id, 'Done: I wrote');
	h.ok(fin.body.parse_mode === 'HTML' &&
	    fin.body.text.includes('<b>hello.sh</b>') &&
	    fin.body.text.includes('<code>out.txt</code>'),
	    'Markdown rendered as Telegram HTML', fin.body.text);
	const r = h.reactions(j, alice.id, m.message_id);
	h.ok(r[0] === '👀' && r[r.length - 1] === '👍',
	    'reactions: 👀 at the start, 👍 at the end', r);
	h.ok(h.calls(j, 'sendChatAction', alice.id).some((c) =>
	    c.body.action === 'typing'), 'typing action sent');
	const status = h.sent(j, alice.id, 'Working');
	h.ok(status && status.body.text.includes('write_file'),
	    'a status message names the tool', status && status.body.text);
	h.ok(h.calls(j, 'editMessageText', alice.id).some((c) =>
	    String(c.body.text).includes('run_command')),
	    'the status message is edited as tools run');
	h.ok(h.calls(j, 'deleteMessage', alice.id).length >= 1,
	    'the status message is removed at the end');
	const reqs = await h.modelRequests('E2E-FILE');
	h.ok(reqs.some((b) => b.messages.some((x) => x.role === 'tool' &&
	    String(x.content).includes('hello-from-sandbox'))),
	    'the command output reached the model as a tool result');
	h.ok(reqs.length > 0 && reqs[0].tools.length >= 14 &&
	    reqs[0].messages[0].role === 'system' &&
	    reqs[0].messages[0].content.includes('/workspace'),
	    'system prompt filled in, tools offered');
}

async function groupChat() {
	const before = (await h.journal()).length;
	await h.say(bob, group, 'just chatting about E2E-NOMENTION here');
	await h.say(bob, group, '/weather tomorrow');
	await h.say(bob, group, '@TestNameBot E2E-GROUP-HI what was said?');
	let j = await h.waitFor((j) => h.sent(j, group.id, 'group hello') && j);
	h.ok(j !== null, 'group: a mention is answered');
	let reqs = await h.modelRequests('E2E-GROUP-HI');
	h.ok(reqs.length > 0 && reqs[0].messages.some((x) => x.role ===
	    'user' && String(x.content).includes('> ') &&
	    String(x.content).includes('E2E-NOMENTION')),
	    'group: recent group messages are in the context, quoted');
	await h.say(alice, group, 'hey @testnamebot E2E-GROUP-CASE');
	j = await h.waitFor((j) => h.sent(j, group.id, 'case ok') && j);
	h.ok(j !== null, 'group: the mention is case-insensitive');
	reqs = await h.modelRequests('E2E-GROUP-CASE');
	h.ok(reqs.length > 0 && !JSON.stringify(reqs).includes('E2E-FILE'),
	    'group: nothing from the private chat reaches the group context');
	const botmsg = h.sent(j, group.id, 'group hello');
	await h.say(bob, group, 'E2E-GROUP-REPLY thanks', {
		reply_to_message: { message_id: 1, from: { id: h.BOT_ID,
		    is_bot: true, first_name: 'Bot' }, chat: group,
		    text: botmsg ? botmsg.body.text : '' } });
	j = await h.waitFor((j) => h.sent(j, group.id, 'reply ok') && j);
	h.ok(j !== null, 'group: a reply to the bot is answered');
	const answers = h.texts(j, group.id);
	h.ok(answers.length === 3, 'group: only the three addressed messages ' +
	    'were answered (not the other bot\'s /weather)', answers);
	h.ok(h.modelRequests !== null && (await h.llmJournal()).every((e) =>
	    !JSON.stringify(e.body.messages.slice(-1)).includes(
	    'E2E-NOMENTION')), 'group: the unaddressed message never went to ' +
	    'the model as a question');
	void before;
}

async function commands() {
	const pc = h.privateChat(alice);
	await h.say(alice, pc, '/help');
	let j = await h.waitFor((j) => h.sent(j, alice.id, '/clear') && j);
	h.ok(j !== null, '/help answered');
	h.ok((await h.stateWait('users/1001/1001/SESSION.json',
	    (s) => s.includes('E2E-FILE'))).includes('E2E-FILE'),
	    'the private session holds the conversation');
	await h.say(alice, pc, '/clear');
	j = await h.waitFor((j) => h.sent(j, alice.id, 'Session cleared') && j);
	h.ok(j !== null, '/clear answered');
	h.ok(await h.stateWait('users/1001/1001/SESSION.json',
	    (s) => s === '[]') === '[]',
	    '/clear really empties SESSION.json');
	const g = h.stateFile('users/1001/-2001/SESSION.json');
	h.ok(g.includes('E2E-GROUP-CASE'),
	    'the same user\'s group session is kept apart and untouched');
	await h.say(alice, pc, '/status');
	j = await h.waitFor((j) => h.sent(j, alice.id, 'Jobs running') && j);
	h.ok(j !== null, '/status answered');
	await h.say(alice, pc, '/pending');
	j = await h.waitFor((j) => h.sent(j, alice.id, 'Nothing pending') && j);
	h.ok(j !== null, '/pending answered');
	h.ok((await h.stateWait('chats/1001.md', (s) =>
	    s.includes('E2E-FILE'))).includes('E2E-FILE') &&
	    !h.stateFile('chats/-2001.md').includes('E2E-FILE'),
	    'chats/<chat>.md: per-chat history files');
}

async function rendering() {
	const pc = h.privateChat(carol);
	await h.say(carol, pc, 'E2E-FAILHTML');
	let j = await h.waitFor((j) => h.calls(j, 'sendMessage', carol.id)
	    .find((c) => c.body.parse_mode === undefined &&
	    String(c.body.text).includes('FAIL-HTML')) && j);
	h.ok(j !== null, 'HTML refused by Telegram: sent again as plain text');
	if (j !== null) {
		const plain = h.calls(j, 'sendMessage', carol.id).find((c) =>
		    c.body.parse_mode === undefined);
		h.ok(plain.body.text === 'FAIL-HTML bold <tag>',
		    'the plain text has no markup and nothing escaped',
		    plain.body.text);
	}
	await h.say(carol, pc, 'E2E-LONG');
	j = await h.waitFor((j) => h.sent(j, carol.id, 'That was') && j);
	h.ok(j !== null, 'long answer delivered');
	if (j === null)
		return;
	const parts = h.calls(j, 'sendMessage', carol.id).filter((c) =>
	    !String(c.body.text).includes('FAIL-HTML') &&
	    !String(c.body.text).includes('Working'));
	h.ok(parts.length >= 3, `split into ${parts.length} messages`);
	h.ok(parts.every((c) => [...String(c.body.text)].length <= 4096),
	    'every piece within 4096 characters');
	h.ok(parts.slice(1, -1).every((c) => c.body.text.startsWith(
	    '<pre><code class="language-python">') &&
	    c.body.text.endsWith('</code></pre>')),
	    'the code block is closed and reopened across pieces');
	const all = parts.map((c) => c.body.text).join('');
	h.ok(all.includes("line 0000") && all.includes("line 0259"),
	    'nothing lost between the pieces');
}

async function toolArgs() {
	const pc = h.privateChat(carol);
	await h.say(carol, pc, 'E2E-BADARGS');
	const j = await h.waitFor((j) => h.sent(j, carol.id, 'args ok') && j);
	h.ok(j !== null, 'malformed tool-call arguments: the loop went on');
	const reqs = await h.modelRequests('E2E-BADARGS');
	const tool = reqs.length > 0 ? reqs[reqs.length - 1].messages.find((x) =>
	    x.role === 'tool') : null;
	h.ok(tool && String(tool.content).includes('fixed.txt') &&
	    !String(tool.content).startsWith('Error'),
	    'the arguments were repaired and the file written',
	    tool && tool.content);
}

async function upload() {
	const pc = h.privateChat(carol);
	await h.say(carol, pc, undefined, { caption: 'E2E-UPLOAD read it',
	    document: { file_name: 'notes.txt', content:
	    Buffer.from('uploaded-notes-42\n').toString('base64') } });
	const j = await h.waitFor((j) => h.sent(j, carol.id, 'upload seen') &&
	    j);
	h.ok(j !== null, 'a document sent by the user is answered');
	const reqs = await h.modelRequests('E2E-UPLOAD');
	h.ok(reqs.length > 0 && reqs[0].messages.some((x) => x.role === 'user' &&
	    String(x.content).includes('uploads/notes.txt')),
	    'the agent is told where the file was saved');
	h.ok(reqs.some((b) => b.messages.some((x) => x.role === 'tool' &&
	    String(x.content).includes('uploaded-notes-42'))),
	    'the file is in the user\'s workspace');
}

async function photo() {
	const pc = h.privateChat(carol);
	const jpeg = Buffer.alloc(3000, 0xab);
	const m = await h.say(carol, pc, undefined, { caption: 'E2E-PHOTO',
	    photo: { content: jpeg.toString('base64') } });
	const j = await h.waitFor((j) => h.sent(j, carol.id, 'photo seen') && j);
	h.ok(j !== null, 'a photo sent by the user is answered');
	const reqs = await h.modelRequests('E2E-PHOTO');
	const out = reqs.map((b) => b.messages.filter((x) => x.role === 'tool')
	    .map((x) => x.content).join('\n')).join('\n');
	h.ok(out.includes(`3000 uploads/photo_${m.message_id}.jpg`),
	    'the largest size of the photo is saved in the workspace', out);
}

async function modelDown() {
	const m = await h.say(carol, h.privateChat(carol), 'E2E-MODELDOWN');
	const j = await h.waitFor((j) => h.sent(j, carol.id,
	    'model is not answering') && h.reactions(j, carol.id,
	    m.message_id).includes('👎') && j);
	h.ok(j !== null, 'a failing model gives a clear message');
	if (j !== null)
		h.ok(h.reactions(j, carol.id, m.message_id).includes('👎'),
		    'and 👎 on the message');
}

async function flood() {
	const pc = h.privateChat(dave);
	const sends = [];
	for (let i = 0; i < 30; i++)
		sends.push(h.say(dave, pc, `E2E-FLOOD ${i}`));
	await Promise.all(sends);
	await h.say(eve, h.privateChat(eve), 'E2E-OTHER');
	let j = await h.waitFor((j) => h.sent(j, eve.id, 'other ok') && j);
	h.ok(j !== null, 'flood: another user is still answered');
	// wait until the bot has been quiet towards dave for 3 s
	let last = -1;
	for (let i = 0; i < 120; i++) {
		j = await h.journal();
		const cur = h.calls(j, 'sendMessage', dave.id).length;
		if (cur === last)
			break;
		last = cur;
		await h.sleep(3000);
	}
	const t = h.texts(j, dave.id);
	const answers = t.filter((s) => s === 'flood-ok').length;
	const warnings = t.filter((s) => s.includes('too fast') ||
	    s.includes('waiting')).length;
	h.ok(answers >= 1 && answers <= 10,
	    `flood: ${answers} of 30 messages answered (limit 10 a minute)`);
	h.ok(warnings >= 1 && warnings <= 2,
	    `flood: ${warnings} warnings, not one per message`, t);
	h.ok(t.length <= 12, `flood: ${t.length} messages to the flooder`);
	const reqs = await h.modelRequests('E2E-FLOOD');
	h.ok(reqs.length === answers, 'flood: the model was asked only for ' +
	    'the accepted messages', [reqs.length, answers]);
}

(async () => {
	await privateFile();
	await groupChat();
	await commands();
	await rendering();
	await toolArgs();
	await upload();
	await photo();
	await modelDown();
	await flood();
	h.done();
})().catch((e) => {
	h.ok(false, `scenario crashed: ${e.stack}`);
	h.done();
});
