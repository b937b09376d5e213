// line.js - every sandbox busy (max-containers 1): user A's command
// holds the only one until the test lets it go (a file in A's
// workspace); B and then C ask meanwhile.  B is told it is next, C that
// one person is ahead; nothing is refused, and once A's command ends
// B's and then C's requests run and are answered, in that order.
'use strict';

const fs = require('fs');
const h = require('../harness');

(async () => {
	const a = h.user(1601, 'Ann');
	const b = h.user(1602, 'Bob');
	const c = h.user(1603, 'Cid');
	const ws = `${h.T}/workspaces/1601/ws`;

	await h.say(a, h.privateChat(a), 'E2E-LINE hold');
	// A's command runs once its workspace is there and the model's
	// tool call went out; a second more for the command to start
	const held = await h.waitFor(() => fs.existsSync(ws), 60);
	h.ok(held, 'user A has the only sandbox', ws);
	await h.sleep(1500);

	await h.say(b, h.privateChat(b), 'E2E-LINE second');
	const nb = await h.waitFor((j) => h.sent(j, b.id, 'Please wait'), 60);
	h.ok(nb && nb.body.text.includes('you are next'),
	    'user B is told to wait and that they are next',
	    nb && nb.body.text);
	await h.say(c, h.privateChat(c), 'E2E-LINE third');
	const nc = await h.waitFor((j) => h.sent(j, c.id, 'Please wait'), 60);
	h.ok(nc && nc.body.text.includes('1 person is ahead of you'),
	    'user C is told one person is ahead of them',
	    nc && nc.body.text);
	let j = await h.journal();
	h.ok(!h.sent(j, b.id, 'LINE second done') &&
	    !h.sent(j, c.id, 'LINE third done'),
	    'neither ran while the sandbox was busy');

	fs.writeFileSync(`${ws}/go`, '');
	j = await h.waitFor((x) => h.sent(x, a.id, 'LINE held done') &&
	    h.sent(x, b.id, 'LINE second done') &&
	    h.sent(x, c.id, 'LINE third done') && x, 120);
	h.ok(j !== null, 'then A, B and C are all answered');
	if (j !== null) {
		const at = (id, s) => h.sent(j, id, s).seq;
		h.ok(at(a.id, 'LINE held done') < at(b.id, 'LINE second done') &&
		    at(b.id, 'LINE second done') <
		    at(c.id, 'LINE third done'),
		    'in the order they came: A, B, C');
	}
	const refused = j === null ? [] : h.texts(j).filter((t) =>
	    /busy with other users|try again/i.test(t));
	h.ok(refused.length === 0, 'nobody was refused', refused.join(' | '));
	h.done();
})().catch((e) => {
	h.ok(false, `scenario crashed: ${e.stack}`);
	h.done();
});
