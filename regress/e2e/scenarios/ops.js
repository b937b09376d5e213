// ops.js - what the operator and the users see when things go wrong
// (issue 12, items 6 and 7): no search_web and no Drive tools offered
// without their secrets, one log line per job, and model failures told
// to the user in plain words while the detail (an internal address)
// stays in the log.
'use strict';

const fs = require('fs');
const h = require('../harness');

const a = h.user(5101, 'Ops');
const pc = h.privateChat(a);

function gwlog() {
	return fs.readFileSync(`${h.T}/gatewayd.log`, 'utf8');
}

async function waitLog(re, secs = 30) {
	for (let i = 0; i < secs * 10; i++) {
		const m = gwlog().match(re);
		if (m)
			return m;
		await h.sleep(100);
	}
	return null;
}

async function tools() {
	await h.say(a, pc, 'OPS-HELLO');
	const j = await h.waitFor((j) => h.sent(j, a.id, 'hello operator') &&
	    j);
	h.ok(j !== null, 'a plain question is answered');
	const rq = await h.modelRequests('OPS-HELLO');
	const names = rq.length > 0 ? (rq[0].tools || []).map((t) =>
	    t.function.name) : [];
	h.ok(names.includes('run_command'), 'the model is offered tools',
	    names);
	h.ok(!names.includes('search_web'),
	    'search_web is not offered without zai_api_key', names);
	h.ok(!names.some((n) => n.startsWith('gdrive_')),
	    'no Drive tool without the Drive secrets', names);
	h.ok(gwlog().includes('search_web not offered (no zai_api_key'),
	    'gatewayd says why search_web is not offered');
	const m = await waitLog(/job done: user 5101 @ops chat 5101 steps 1 tools 0 duration [0-9.]+s outcome answered/);
	h.ok(m !== null, 'one info line for the job (user, chat, steps, ' +
	    'tools, duration, outcome)');
}

async function jobWithTool() {
	await h.say(a, pc, 'OPS-TOOL');
	const j = await h.waitFor((j) => h.sent(j, a.id, 'nothing scheduled') &&
	    j);
	h.ok(j !== null, 'a job with a tool call is answered');
	const m = await waitLog(/job done: user 5101 @ops chat 5101 steps 2 tools 1 \(schedule_task\) duration [0-9.]+s outcome answered/);
	h.ok(m !== null, 'its line names the tool and the steps');
}

function leaks(j) {
	return h.texts(j, a.id).filter((t) => /127\.0\.0\.1|10\.1\.2\.3|Failed to connect|HTTP [0-9]/.test(t));
}

async function badRequest() {
	await h.say(a, pc, 'OPS-BADREQ');
	const j = await h.waitFor((j) => h.sent(j, a.id,
	    'could not handle this request') && j);
	h.ok(j !== null, 'a request the model refuses: a plain message');
	h.ok(j !== null && leaks(j).length === 0,
	    'the provider\'s detail does not reach the chat', j && leaks(j));
	h.ok(await waitLog(/model request failed: .*HTTP 400.*10\.1\.2\.3/) !==
	    null, 'the detail is in the log');
	h.ok(await waitLog(/job done: user 5101 .* outcome model error \(HTTP 400\)/) !==
	    null, 'the job line says how it ended');
}

async function modelGone() {
	// the model stand-in stops: a transport error
	process.kill(Number(fs.readFileSync(`${h.T}/aimock.pid`, 'utf8')));
	await h.sleep(500);
	await h.say(a, pc, 'OPS-GONE');
	const j = await h.waitFor((j) => h.texts(j, a.id).filter((t) =>
	    t.includes('not answering right now')).length > 0 && j, 90);
	h.ok(j !== null, 'an unreachable model: "not answering right now"');
	h.ok(j !== null && leaks(j).length === 0,
	    'no internal address or transport error in the chat',
	    j && leaks(j));
	// (proxyd scrubs the address: llm_base_url is one of its secrets)
	h.ok(await waitLog(/model request failed: model provider unreachable: Failed to connect to/) !== null,
	    'the transport error is in the log');
	h.ok(await waitLog(/outcome model error \(no answer\)/) !== null,
	    'the job line says the model did not answer');
}

(async () => {
	await tools();
	await jobWithTool();
	await badRequest();
	await modelGone();
	h.done();
})().catch((e) => {
	h.ok(false, `scenario threw: ${e.stack}`);
	h.done();
});
