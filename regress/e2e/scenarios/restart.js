// restart.js - each daemon restarted mid-conversation; nothing is lost
// and nothing the users saw is repeated.
'use strict';

const h = require('../harness');

const u = [4001, 4002, 4003, 4004, 4005].map((id) => h.user(id, `R${id}`));

function count(j, chatId, s) {
	return h.texts(j, chatId).filter((t) => t.includes(s)).length;
}

async function gatewayd() {
	const a = u[0];
	await h.say(a, h.privateChat(a), 'E2E-HELLO');
	let j = await h.waitFor((j) => h.sent(j, a.id, 'hello there') && j);
	h.ok(j !== null, 'gatewayd: answered before the restart');
	const m = await h.say(a, h.privateChat(a), 'E2E-SLOW-GW');
	j = await h.waitFor((j) => h.reactions(j, a.id, m.message_id)
	    .includes('👀') && j);
	h.ok(j !== null, 'gatewayd: the slow job started');
	await h.restartDaemon('gatewayd', 'SIGKILL');
	j = await h.waitFor((j) => h.sent(j, a.id, 'slow gw done') && j);
	h.ok(j !== null, 'gatewayd killed mid-job: the message is answered ' +
	    'after the restart');
	await h.sleep(2000);
	j = await h.journal();
	h.ok(count(j, a.id, 'slow gw done') === 1, 'gatewayd: answered once');
	h.ok(count(j, a.id, 'hello there') === 1,
	    'gatewayd: the earlier message is not answered again');
	h.ok(Number(await h.stateWait('offset', (s) => Number(s) > m.update_id)) >
	    m.update_id,
	    'gatewayd: the offset file is past the handled update');
}

// gatewayd starts with a message waiting and its first getMe failing
// (HTTP 500, retried by gatewayd after a second): the first getUpdates
// does not wait for getMe, the update it brings is held until getMe is
// answered, then handled once
async function gatewaydGetMeLate() {
	const a = h.user(4009, 'R4009');
	await h.stopDaemon('gatewayd');
	await h.say(a, h.privateChat(a), 'E2E-HELLO');
	await fetch(`http://127.0.0.1:${process.env.E2E_TG}/__fault`, {
		method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ method: 'getMe', status: 500, count: 1 }) });
	const t0 = Date.now();
	h.startDaemon('gatewayd');
	let j = await h.waitFor((j) => h.sent(j, a.id, 'hello there') && j);
	h.ok(j !== null, 'getMe late: the waiting message is answered');
	const polls = await (await fetch(`http://127.0.0.1:` +
	    `${process.env.E2E_TG}/__polls`)).json();
	const me = j ? j.filter((e) => e.method === 'getMe' && e.time >= t0) :
	    [];
	const p0 = polls.find((t) => t >= t0);
	h.ok(me.length > 0 && p0 !== undefined && p0 < me[0].time,
	    'getMe late: the first getUpdates went before getMe was answered',
	    { poll: p0 - t0, getMe: me.length ? me[0].time - t0 : null });
	await h.sleep(1500);
	j = await h.journal();
	h.ok(h.texts(j, a.id).filter((t) => t.includes('hello there'))
	    .length === 1, 'getMe late: answered once');
}

async function gatewaydMidTool() {
	const a = u[0];
	await h.say(a, h.privateChat(a), 'E2E-SLOW-TOOL');
	let j = await h.waitFor((j) => {
		const st = h.sent(j, a.id, 'Working');
		return st && st.result_id && j;
	});
	h.ok(j !== null, 'gatewayd: a job with a status message is running');
	// kill once the command ran and the second (slow) model call is
	// under way: wait for it in the model's journal, not a fixed time
	// (a first container can take seconds on a loaded machine)
	for (let i = 0; i < 300; i++) {
		const rq = await h.modelRequests('E2E-SLOW-TOOL');
		if (rq.some((b) => b.messages[b.messages.length - 1].role ===
		    'tool'))
			break;
		await h.sleep(100);
	}
	await h.sleep(300);
	const st = h.sent(await h.journal(), a.id, 'Working');
	await h.restartDaemon('gatewayd', 'SIGKILL');
	j = await h.waitFor((j) => h.sent(j, a.id, 'tool job done') && j);
	h.ok(j !== null, 'gatewayd killed between tool and answer: the job ' +
	    'resumed and finished');
	const reqs = await h.modelRequests('E2E-SLOW-TOOL');
	const fresh = reqs.filter((b) => b.messages[b.messages.length - 1]
	    .role === 'user');
	h.ok(fresh.length === 1 && reqs.length >= 2, 'the job resumed after ' +
	    'the tool result instead of starting again', reqs.length);
	j = await h.waitFor((j) => h.calls(j, 'deleteMessage', a.id).some((c) =>
	    Number(c.body.message_id) === Number(st.result_id)) && j);
	h.ok(j !== null, 'the status message of the killed job was removed');
}

async function proxyd() {
	const a = u[1];
	const m = await h.say(a, h.privateChat(a), 'E2E-SLOW-PX');
	let j = await h.waitFor((j) => h.reactions(j, a.id, m.message_id)
	    .includes('👀') && j);
	h.ok(j !== null, 'proxyd: the slow job started');
	await h.sleep(500);
	await h.restartDaemon('proxyd');
	j = await h.waitFor((j) => h.sent(j, a.id, 'slow px done') && j);
	h.ok(j !== null, 'proxyd restarted mid-job: the answer still came');
	await h.say(a, h.privateChat(a), 'E2E-HELLO');
	j = await h.waitFor((j) => h.sent(j, a.id, 'hello there') && j);
	h.ok(j !== null, 'proxyd: polling resumed, new messages answered');
	h.ok(count(j, a.id, 'slow px done') === 1, 'proxyd: answered once');
}

async function sandboxd() {
	const a = u[2];
	await h.say(a, h.privateChat(a), 'E2E-SB-1');
	let j = await h.waitFor((j) => h.sent(j, a.id, 'written') && j);
	h.ok(j !== null, 'sandboxd: a file written');
	await h.restartDaemon('sandboxd');
	await h.say(a, h.privateChat(a), 'E2E-SB-2');
	j = await h.waitFor((j) => h.sent(j, a.id, 'still there') && j);
	h.ok(j !== null, 'sandboxd restarted: the next command runs and the ' +
	    'file is still there');
}

async function policyd() {
	const a = u[3];
	await h.restartDaemon('policyd');
	await h.say(a, h.privateChat(a), 'E2E-PD');
	const j = await h.waitFor((j) => h.sent(j, a.id, 'policy ok') && j);
	h.ok(j !== null, 'policyd restarted: commands are checked and run ' +
	    'again');
}

async function schedule() {
	const a = u[4];
	await h.say(a, h.privateChat(a), 'E2E-REMIND-LONG');
	let j = await h.waitFor((j) => h.sent(j, a.id, 'reminder set') && j);
	h.ok(j !== null, 'a reminder is set');
	await h.stopDaemon('gatewayd');
	await h.sleep(6000);
	j = await h.journal();
	h.ok(count(j, a.id, 'stretch your legs') === 0,
	    'nothing is sent while gatewayd is down');
	h.startDaemon('gatewayd');
	j = await h.waitFor((j) => h.sent(j, a.id, 'stretch your legs') && j);
	h.ok(j !== null, 'the reminder due during the downtime arrives after ' +
	    'the restart');
	await h.sleep(1500);
	h.ok(count(await h.journal(), a.id, 'stretch your legs') === 1,
	    'the reminder is sent once');
}

// group-reply-chance 100% for messages of 40 bytes or more
async function chance() {
	const g = h.groupChat(-4100, 'chance');
	const a = u[0];
	await h.say(a, g, 'E2E-CHANCE-SHORT hi');
	await h.say(a, g, 'E2E-CHANCE-LONG this message is long enough to count');
	const j = await h.waitFor((j) => h.sent(j, g.id, 'chance answer') && j);
	h.ok(j !== null, 'group-reply-chance: a long unaddressed message ' +
	    'answered');
	h.ok(j && h.texts(j, g.id).length === 1,
	    'group-reply-min-length: the short one was not');
}

(async () => {
	await gatewayd();
	await gatewaydGetMeLate();
	await gatewaydMidTool();
	await proxyd();
	await sandboxd();
	await policyd();
	await schedule();
	await chance();
	h.done();
})().catch((e) => {
	h.ok(false, `scenario crashed: ${e.stack}`);
	h.done();
});
