// extras.js - the switchable group features (model-chosen emoji
// reactions, unprompted thoughts), the global job cap, the web tools
// through proxyd, an unknown tool, /gdrive.
'use strict';

const h = require('../harness');

const ann = h.user(5001, 'Ann');
const ben = h.user(5002, 'Ben');
const group = h.groupChat(-5100, 'E2E extras');

async function emoji() {
	const m = await h.say(ann, group, 'what a great day for a release');
	const j = await h.waitFor((j) => h.reactions(j, group.id, m.message_id)
	    .length > 0 && j);
	h.ok(j !== null && h.reactions(j, group.id, m.message_id)[0] === '🔥',
	    'emoji reaction chosen by the model on an unaddressed message',
	    j && h.reactions(j, group.id, m.message_id));
	h.ok(j !== null && h.texts(j, group.id).every((t) =>
	    t === 'What a lively chat!'), 'and no answer to it');
}

async function thoughts() {
	const j = await h.waitFor((j) => h.sent(j, group.id,
	    'What a lively chat!') && j);
	h.ok(j !== null, 'a thought was posted to the group');
	const reqs = (await h.llmJournal()).filter((e) => e.body &&
	    JSON.stringify(e.body.messages || []).includes('friendly member'));
	h.ok(reqs.length > 0 && JSON.stringify(reqs[0].body.messages)
	    .includes('great day for a release'),
	    'the thought was made from the recent group messages');
}

// max-jobs 1: a message is never refused because others are busy; it
// waits its turn for the model and the user is told it is queued.  A
// job waiting on a sandbox command holds no slot.
async function busy() {
	await h.say(ann, h.privateChat(ann), 'E2E-BUSY-SLOW');
	let j = await h.waitFor((j) => h.calls(j, 'setMessageReaction', ann.id)
	    .length > 0 && j);
	await h.say(ben, h.privateChat(ben), 'E2E-BUSY-OTHER');
	j = await h.waitFor((j) => h.sent(j, ben.id, 'Queued') && j);
	h.ok(j !== null, 'over max-jobs: the user is told the message is queued');
	j = await h.waitFor((j) => h.sent(j, ben.id, 'other answered') && j);
	h.ok(j !== null, 'and it is answered in turn, not refused');
	// ann's job holds the slot for its model's 4 s; ben's model call
	// waits for it (which of the two answers Telegram gets first is
	// not the point: they are other chats)
	const start = j && h.calls(j, 'setMessageReaction', ann.id)[0];
	const other = j && h.sent(j, ben.id, 'other answered');
	h.ok(start && other && other.time - start.time >= 3500,
	    'after the job that held the only model slot' +
	    (start && other ? ` (${other.time - start.time} ms)` : ''));
	j = await h.waitFor((j) => h.sent(j, ann.id, 'slow one done') && j);
	h.ok(j !== null, 'the job that held the slot is answered too');
	const q = j && h.sent(j, ben.id, 'Queued');
	j = await h.waitFor((j) => q && h.calls(j, 'deleteMessage', ben.id)
	    .some((c) => Number(c.body.message_id) === q.result_id) && j);
	h.ok(j !== null, 'the queued notice is removed');
	h.ok(!h.calls(j, 'sendMessage').some((c) =>
	    String(c.body.text).includes('busy')), 'nobody was refused as busy');

	// a job waiting on `sleep 4` holds no model slot
	await h.say(ann, h.privateChat(ann), 'E2E-BUSY-SLEEP');
	j = await h.waitFor((j) => h.sent(j, ann.id, 'run_command') && j);
	h.ok(j !== null, 'the sleeper\'s command is running');
	await h.say(ben, h.privateChat(ben), 'E2E-BUSY-QUICK');
	j = await h.waitFor((j) => h.sent(j, ben.id, 'quick answered') && j);
	const done = j && h.sent(j, ann.id, 'sleeper done');
	h.ok(j !== null && !done, 'another user is answered while the '
	    + 'sleeper waits on its command', done);
	h.ok(j !== null && !h.sent(j, ben.id, 'Working') &&
	    h.calls(j, 'sendMessage', ben.id).filter((c) =>
	    String(c.body.text).includes('Queued')).length === 1,
	    'an answer without tools gets no status message');
	j = await h.waitFor((j) => h.sent(j, ann.id, 'sleeper done') && j);
	h.ok(j !== null, 'the sleeper is answered too');
}

async function web() {
	await h.say(ben, h.privateChat(ben), 'E2E-SEARCH');
	let j = await h.waitFor((j) => h.sent(j, ben.id, 'search answered') && j);
	h.ok(j !== null, 'search_web went through proxyd and back');
	// the model must have been given the stand-in's result, not an error
	const sr = [].concat(...(await h.modelRequests('E2E-SEARCH')).map((b) =>
	    b.messages.filter((x) => x.role === 'tool').map((x) =>
	    String(x.content))));
	h.ok(sr.some((t) => t.includes('E2E-SEARCH-HIT for topsh') &&
	    t.includes('https://example.com/e2e')),
	    'search_web: the model got the search results', sr);
	await h.say(ben, h.privateChat(ben), 'E2E-FETCH');
	j = await h.waitFor((j) => h.sent(j, ben.id, 'fetch refused') && j);
	h.ok(j !== null, 'fetch_page of a loopback address is refused');
	await h.say(ben, h.privateChat(ben), 'E2E-NOTOOL');
	j = await h.waitFor((j) => h.sent(j, ben.id, 'unknown tool handled') &&
	    j);
	h.ok(j !== null, 'a tool that does not exist is reported to the model');
	await h.say(ben, h.privateChat(ben), 'E2E-LOOP');
	j = await h.waitFor((j) => h.sent(j, ben.id, 'I stopped after 3 steps') &&
	    j);
	h.ok(j !== null, 'a model that never stops is stopped at max-iterations');
	const loops = await h.modelRequests('E2E-LOOP');
	h.ok(loops.length === 3, `the model was asked ${loops.length} times`);
	await h.say(ben, h.privateChat(ben), '/gdrive');
	j = await h.waitFor((j) => h.sent(j, ben.id, 'Google Drive') && j);
	h.ok(j !== null, '/gdrive answered');
	// a consent link shown in a group is seen by all its members
	const grp = h.groupChat(-5005, 'E2E drive group');
	await h.say(ben, grp, '/gdrive');
	j = await h.waitFor((j) => h.sent(j, grp.id, 'private chat') && j);
	h.ok(j !== null && !h.calls(j, 'sendMessage', grp.id).some((c) =>
	    String(c.body.text).includes('oauth')),
	    '/gdrive in a group: sent to the private chat, no link');
}

// updates no sane client sends: none of them may stop the bot
async function garbage() {
	const bad = [
		{},
		{ message: 'not an object' },
		{ message: { message_id: 1 } },
		{ message: { from: { id: 'x' }, chat: { id: 5 }, text: 7 } },
		{ message: { from: { id: -3, first_name: 1 }, chat: {},
		    text: 'E2E-X' } },
		{ message: { from: { id: 5003, first_name: 'Z' },
		    chat: { id: 5003, type: 'private' }, text: null,
		    photo: 'nope', document: [1, 2] } },
		{ callback_query: { id: 'cb1' } },
		{ callback_query: { id: 'cb2', data: 'q:999999:0',
		    from: { id: 5003 } } },
		{ callback_query: { id: 'cb3', data: 'q:%n%n:x' } },
		{ callback_query: 'x' },
		{ edited_message: { text: 'ignored' } },
		{ message: { from: { id: 5003, first_name: 'Z' },
		    chat: { id: 5003, type: 'private' },
		    text: 'x'.repeat(100000) } },
	];
	for (const u of bad)
		await h.rawUpdate(u);
	await h.say(ben, h.privateChat(ben), '/status');
	const j = await h.waitFor((j) => h.sent(j, ben.id, 'Jobs running') && j);
	h.ok(j !== null, 'malformed updates: the bot lives on and answers');
	h.ok(h.alive(h.pidOf('gatewayd')), 'gatewayd still running');
	const k = await h.waitFor((j) => h.sent(j, 5003, 'long one') &&
	    h.sent(j, 5003, 'fallback answer') && j);
	h.ok(k !== null, 'a 100000-byte message and an empty one with a ' +
	    'broken attachment are answered too');
}

(async () => {
	await garbage();
	await emoji();
	await thoughts();
	await busy();
	await web();
	h.done();
})().catch((e) => {
	h.ok(false, `scenario crashed: ${e.stack}`);
	h.done();
});
