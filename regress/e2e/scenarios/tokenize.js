// tokenize.js - dlp tokenize end to end: the user's e-mail address and
// card number reach the model (aimock) only as placeholders, the model's
// tool call uses the placeholder, and the tool gets the real address
// (the file written in the user's workspace holds it); the command's
// output goes back to the model tokenized again, with the same
// placeholder, and the answer has the address restored before gatewayd
// sees it (Telegram then gets it redacted, as all personal data).
'use strict';

const fs = require('fs');
const path = require('path');
const h = require('../harness');

const EMAIL = 'tok.user@example.org';
const CARD = '4111 1111 1111 1111';

function find(dir, name) {
	let ents;
	try {
		ents = fs.readdirSync(dir, { withFileTypes: true });
	} catch (e) {
		return null;
	}
	for (const e of ents) {
		const p = path.join(dir, e.name);
		if (e.isFile() && e.name === name)
			return p;
		if (e.isDirectory()) {
			const r = find(p, name);
			if (r)
				return r;
		}
	}
	return null;
}

(async () => {
	const u = h.user(1501, 'Tess');
	await h.say(u, h.privateChat(u), `E2E-TOK please save ${EMAIL} ` +
	    `to contact.txt; my card is ${CARD}`);
	const j = await h.waitFor((j) => h.sent(j, u.id, 'Saved') && j);
	h.ok(j !== null, 'the answer arrived');
	const fin = j && h.sent(j, u.id, 'Saved');
	// restored before gatewayd: no placeholder reaches the user; the
	// address itself is then redacted on its way to Telegram, as all
	// personal data leaving proxyd is
	h.ok(fin && !fin.body.text.includes('<EMAIL_1>') &&
	    !fin.body.text.includes('EMAIL_1') &&
	    fin.body.text.includes('Saved [REDACTED:EMAIL] for you'),
	    'the answer came back with the value, not the placeholder',
	    fin && fin.body.text);
	const f = find(`${h.T}/workspaces`, 'contact.txt');
	const content = f ? fs.readFileSync(f, 'utf8') : '';
	h.ok(content === `${EMAIL}\n`,
	    'the tool call got the real address (contact.txt)', content);
	const reqs = await h.modelRequests('E2E-TOK');
	const all = JSON.stringify(reqs);
	h.ok(reqs.length === 3, 'three model requests', reqs.length);
	h.ok(!all.includes(EMAIL) && !all.includes('tok.user'),
	    'the model never saw the address');
	h.ok(!all.includes(CARD) && !all.includes('4111'),
	    'the model never saw the card number');
	h.ok(all.includes('<EMAIL_1>') && all.includes('<CREDIT_CARD_1>'),
	    'it saw placeholders');
	const last = reqs[reqs.length - 1] || { messages: [] };
	h.ok(last.messages.some((m) => m.role === 'tool' &&
	    String(m.content).includes('<EMAIL_1>')),
	    'the tool output went back with the same placeholder');
	const log = fs.readFileSync(`${h.T}/proxyd.log`, 'utf8');
	h.ok(!log.includes(EMAIL), 'proxyd logged no value');
	h.done();
})().catch((e) => {
	h.ok(false, `scenario crashed: ${e.stack}`);
	h.done();
});
