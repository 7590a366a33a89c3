'use strict';
// One local HTTP server for the services that have no emulator here: Slack
// Web API, Google OAuth token + Drive + Sheets, EventBridge PutEvents,
// EventBridge Scheduler, Secrets Manager, Parameter Store (SSM). Node
// built-ins only. It speaks the documented protocols (shared/docs/
// protocols.md) and checks what the real service checks; it is a fixture
// for the C clients, not a mock of our own functions.
//
// Usage: node fake-apis.js PORT        (listens on 127.0.0.1:PORT)
// Environment (all optional except where a service needs it):
//   FAKE_SLACK_TOKEN     the only bot token Slack accepts
//   FAKE_GOOGLE_PUBKEY   PEM file: public key of the fake service account
//   FAKE_GOOGLE_ISS      the service account's client_email
//   FAKE_AWS_SECRET      if set, SigV4 signatures are recomputed and checked
//   FAKE_AWS_ACCESS_KEY  if set, the only access key id accepted
//   FAKE_AWS_REGION      if set, the only region accepted in the credential scope
//
// Where the clients point (base URLs):
//   IR_SLACK_API_URL     = http://127.0.0.1:PORT/api        (/api/chat.postMessage ...)
//   IR_GOOGLE_TOKEN_URL  = http://127.0.0.1:PORT/token      (JWT aud must be this URL)
//   IR_GOOGLE_API_URL    = http://127.0.0.1:PORT            (/drive/v3/..., /v4/spreadsheets/...)
//   AWS_ENDPOINT_URL_EVENTBRIDGE, _SCHEDULER, _SECRETS_MANAGER, _SSM
//                        = http://127.0.0.1:PORT            (all four on one server:
//     JSON services are told apart by X-Amz-Target, Scheduler by /schedules/)
//
// Test controls (not recorded):
//   GET  /_requests   every request received, oldest first:
//                     [{method, path, headers, body, time}] (path includes the query)
//   POST /_reset      forget the recorded requests and pending faults (stores stay)
//   POST /_fail       {"path_prefix":"/api/chat.postMessage","status":429,"count":1,
//                      "retry_after":1,"body":"..."}: the next `count` (default 1)
//                     requests whose path starts with path_prefix (default: any)
//                     get that reply; {"delay_ms":N[,"path_prefix","count"]}: delay
//                     them N ms first (no count: every matching request). The
//                     faulted requests are still recorded.
//   GET  /_state      the stores: slack messages, sheets, secrets, params,
//                     schedules, events
//   POST /_sheet      {"id","csv","modifiedTime"?,"sheet"?:"Sheet1","name"?}
//   POST /_secret     {"name","value"}
//   POST /_param      {"name","value","type"?:"String"|"StringList"|"SecureString"}
//   POST /_s3version  {"bucket","key","body"}: a new version of an S3 object,
//                     served under /s3v/ (ListObjectVersions, GetObject ?versionId=)
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const sigv4 = require('./sigv4');

const PORT = Number(process.argv[2] || process.env.PORT);
const env = process.env;
const ACCOUNT = '123456789012';
const REGION = env.FAKE_AWS_REGION || 'ap-southeast-1';

const state = {
	requests: [],
	faults: [],
	slack: {}, // channel -> [message], oldest first
	sheets: {}, // id -> {name, sheet, rows: [[cell]], modifiedTime, version}
	tokens: {}, // Google access token -> {scope, exp}
	secrets: {}, // name -> {value, versionId, created}
	params: {}, // name -> {value, type, version, modified}
	schedules: {}, // "group/name" -> schedule
	events: [], // accepted PutEvents entries
	s3v: {}, // "bucket/key" -> [{VersionId, body, LastModified}], oldest first
};
let lastTs = 0; // microseconds of the last message ts handed out

// Slack channels by name: real Slack posts to "#orders" or to an id but
// answers with the id, and conversations.history takes ids only (a name is
// channel_not_found). Ids (C/G/D + capitals and digits) exist on first use;
// names come from FAKE_SLACK_CHANNELS ("orders:C0ORDERS01 general:C0GENERAL1").
const slackNames = {};
for (const pair of (env.FAKE_SLACK_CHANNELS || 'orders:C0ORDERS01 general:C0GENERAL1').split(/\s+/).filter(Boolean)) {
	const [name, id] = pair.split(':');
	slackNames[name] = id;
}
const isChannelId = (c) => /^[CGD][A-Z0-9]+$/.test(String(c || ''));
// channel argument -> id, or undefined (byName: "#orders"/"orders" too)
const channelId = (c, byName) => (isChannelId(c) ? String(c) : byName ? slackNames[String(c || '').replace(/^#/, '')] : undefined);
// A message ts as Slack makes them: the real time, microseconds, unique.
const newTs = () => {
	lastTs = Math.max(lastTs + 1, Date.now() * 1000);
	return `${Math.floor(lastTs / 1e6)}.${String(lastTs % 1e6).padStart(6, '0')}`;
};

// ---------------------------------------------------------------- helpers

function reply(res, status, body, headers = {}) {
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
	res.writeHead(status, { 'Content-Type': type, ...headers });
	res.end(text);
}
const header = (req, name) => req.headers[name.toLowerCase()] || '';
const parseJson = (s) => { try { return JSON.parse(s); } catch { return undefined; } };
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, '.000Z');

// --------------------------------------------------------------- Slack

// Block Kit limits (protocols.md section 2). Returns a list of error strings.
function checkBlocks(blocks, max) {
	const errs = [];
	const len = (t) => (t && typeof t.text === 'string' ? [...t.text].length : 0);
	if (!Array.isArray(blocks)) return ['blocks must be an array'];
	if (blocks.length > max) errs.push(`no more than ${max} items allowed [json-pointer:/blocks]`);
	blocks.forEach((b, i) => {
		const at = `[json-pointer:/blocks/${i}]`;
		if (!isObj(b) || typeof b.type !== 'string') return errs.push(`missing required field: type ${at}`);
		if (b.block_id !== undefined && String(b.block_id).length > 255) errs.push(`block_id must be at most 255 characters ${at}`);
		if (b.type === 'section') {
			if (!b.text && !b.fields) errs.push(`must provide either text or fields ${at}`);
			if (b.text && len(b.text) > 3000) errs.push(`must be less than 3001 characters [json-pointer:/blocks/${i}/text/text]`);
			if (b.text && len(b.text) < 1) errs.push(`must be more than 0 characters [json-pointer:/blocks/${i}/text/text]`);
			if (b.fields && (!Array.isArray(b.fields) || b.fields.length > 10)) errs.push(`no more than 10 items allowed [json-pointer:/blocks/${i}/fields]`);
			(Array.isArray(b.fields) ? b.fields : []).forEach((f, j) => {
				if (len(f) > 2000) errs.push(`must be less than 2001 characters [json-pointer:/blocks/${i}/fields/${j}/text]`);
			});
			if (b.accessory) errs.push(...checkElement(b.accessory, `/blocks/${i}/accessory`));
		} else if (b.type === 'header') {
			if (!b.text || b.text.type !== 'plain_text') errs.push(`must be a plain_text object [json-pointer:/blocks/${i}/text]`);
			else if (len(b.text) > 150) errs.push(`must be less than 151 characters [json-pointer:/blocks/${i}/text/text]`);
		} else if (b.type === 'actions') {
			if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 25) errs.push(`must have 1 to 25 elements [json-pointer:/blocks/${i}/elements]`);
			else b.elements.forEach((e, j) => errs.push(...checkElement(e, `/blocks/${i}/elements/${j}`)));
		} else if (b.type === 'context') {
			if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10) errs.push(`must have 1 to 10 elements [json-pointer:/blocks/${i}/elements]`);
		} else if (!['divider', 'input', 'image', 'rich_text', 'file', 'video'].includes(b.type)) {
			errs.push(`unsupported type: ${b.type} ${at}`);
		}
	});
	return errs;
}

function checkElement(e, at) {
	const errs = [];
	if (!isObj(e)) return [`must be an object [json-pointer:${at}]`];
	if (e.action_id !== undefined && String(e.action_id).length > 255) errs.push(`must be less than 256 characters [json-pointer:${at}/action_id]`);
	if (e.type === 'button') {
		if (!e.text || e.text.type !== 'plain_text') errs.push(`must be a plain_text object [json-pointer:${at}/text]`);
		else if ([...String(e.text.text)].length > 75) errs.push(`must be less than 76 characters [json-pointer:${at}/text/text]`);
		if (e.value !== undefined && String(e.value).length > 2000) errs.push(`must be less than 2001 characters [json-pointer:${at}/value]`);
		if (e.url !== undefined && String(e.url).length > 3000) errs.push(`must be less than 3001 characters [json-pointer:${at}/url]`);
		if (e.style !== undefined && !['primary', 'danger'].includes(e.style)) errs.push(`must be one of primary, danger [json-pointer:${at}/style]`);
	}
	return errs;
}

// Slack accepts JSON (write methods) and form bodies; in a form, structured
// arguments (blocks, view, metadata) are JSON strings.
function slackArgs(req, body, url) {
	const ctype = header(req, 'content-type');
	const args = Object.fromEntries(url.searchParams);
	const warnings = [];
	if (/^application\/json/i.test(ctype)) {
		if (!/charset=utf-8/i.test(ctype)) warnings.push('missing_charset');
		const j = parseJson(body);
		if (!isObj(j)) return { error: 'invalid_json' };
		Object.assign(args, j);
	} else if (/^application\/x-www-form-urlencoded/i.test(ctype)) {
		for (const [k, v] of new URLSearchParams(body)) {
			args[k] = ['blocks', 'view', 'metadata'].includes(k) ? (parseJson(v) ?? v) : v;
		}
	} else if (req.method === 'POST' && body) {
		return { error: 'invalid_arguments' }; // body Slack cannot read
	}
	return { args, warnings };
}

function slack(req, res, method, body, url) {
	const ok = (o, warnings) => reply(res, 200, { ok: true, ...o, ...(warnings.length ? { warning: warnings.join(','), response_metadata: { warnings } } : {}) });
	const fail = (error, messages) => reply(res, 200, { ok: false, error, ...(messages ? { response_metadata: { messages } } : {}) });
	const auth = header(req, 'authorization');
	if (!auth) return fail('not_authed');
	if (!env.FAKE_SLACK_TOKEN || auth !== `Bearer ${env.FAKE_SLACK_TOKEN}`) return fail('invalid_auth');
	const parsed = slackArgs(req, body, url);
	if (parsed.error) return fail(parsed.error);
	const { args, warnings } = parsed;
	const msgs = (ch) => (state.slack[ch] = state.slack[ch] || []);

	if (method === 'chat.postMessage' || method === 'chat.update') {
		if (!args.channel) return fail('invalid_arguments', ['[ERROR] missing required field: channel']);
		if (method === 'chat.update' && !args.ts) return fail('invalid_arguments', ['[ERROR] missing required field: ts']);
		if (args.blocks !== undefined) {
			const errs = checkBlocks(typeof args.blocks === 'string' ? parseJson(args.blocks) : args.blocks, 50);
			if (errs.length) return fail('invalid_blocks', errs.map((e) => '[ERROR] ' + e));
		}
		if (args.metadata !== undefined && !(isObj(args.metadata) && typeof args.metadata.event_type === 'string' && isObj(args.metadata.event_payload))) {
			return fail('invalid_metadata_format');
		}
		const cid = channelId(args.channel, method === 'chat.postMessage');
		if (!cid) return fail('channel_not_found');
		args.channel = cid;
		if (method === 'chat.postMessage') {
			if (!args.text && !(Array.isArray(args.blocks) && args.blocks.length) && !args.attachments) return fail('no_text');
			const message = { type: 'message', subtype: 'bot_message', bot_id: 'B0FAKEBOT', user: 'U0FAKEBOT',
				text: String(args.text || '').slice(0, 40000), ts: newTs() };
			if (args.blocks) message.blocks = args.blocks;
			if (args.metadata) message.metadata = args.metadata;
			if (args.thread_ts) message.thread_ts = args.thread_ts;
			msgs(args.channel).push(message);
			return ok({ channel: args.channel, ts: message.ts, message }, warnings);
		}
		const message = msgs(args.channel).find((m) => m.ts === args.ts);
		if (!message) return fail('message_not_found');
		if (args.text !== undefined) message.text = args.text;
		if (args.blocks !== undefined) message.blocks = args.blocks;
		if (args.metadata !== undefined) message.metadata = args.metadata;
		message.edited = { user: 'U0FAKEBOT', ts: newTs() };
		return ok({ channel: args.channel, ts: args.ts, text: message.text, message }, warnings);
	}
	if (method === 'views.open') {
		if (!args.trigger_id) return fail('invalid_arguments', ['[ERROR] missing required field: trigger_id']);
		if (!args.view) return fail('invalid_arguments', ['[ERROR] missing required field: view']);
		if (args.trigger_id === 'expired') return fail('expired_trigger_id');
		const v = typeof args.view === 'string' ? parseJson(args.view) : args.view;
		if (!isObj(v)) return fail('invalid_arguments', ['[ERROR] view must be a JSON object']);
		const errs = [];
		const ptext = (o, max, at) => {
			if (!o || o.type !== 'plain_text' || typeof o.text !== 'string') errs.push(`must be a plain_text object [json-pointer:/view/${at}]`);
			else if ([...o.text].length > max) errs.push(`must be less than ${max + 1} characters [json-pointer:/view/${at}/text]`);
		};
		if (v.type !== 'modal') errs.push('must be modal [json-pointer:/view/type]');
		ptext(v.title, 24, 'title');
		if (v.submit !== undefined) ptext(v.submit, 24, 'submit');
		if (v.close !== undefined) ptext(v.close, 24, 'close');
		if (Array.isArray(v.blocks) && v.blocks.some((b) => b && b.type === 'input') && !v.submit) errs.push('must provide submit when using input blocks [json-pointer:/view/submit]');
		if (v.private_metadata !== undefined && String(v.private_metadata).length > 3000) errs.push('must be less than 3001 characters [json-pointer:/view/private_metadata]');
		if (v.callback_id !== undefined && String(v.callback_id).length > 255) errs.push('must be less than 256 characters [json-pointer:/view/callback_id]');
		errs.push(...checkBlocks(v.blocks || [], 100).map((e) => e.replace('json-pointer:/blocks', 'json-pointer:/view/blocks')));
		if (errs.length) return fail('invalid_arguments', errs.map((e) => '[ERROR] ' + e));
		return ok({ view: { id: 'V' + crypto.randomBytes(5).toString('hex').toUpperCase(), ...v, state: { values: {} }, hash: crypto.randomBytes(8).toString('hex') } }, warnings);
	}
	if (method === 'conversations.list') {
		const limit = Math.min(Number(args.limit) || 100, 1000);
		const start = Number(args.cursor ? Buffer.from(String(args.cursor), 'base64').toString() : 0) || 0;
		const all = Object.entries(slackNames).map(([name, id]) => ({ id, name, is_channel: true, is_private: false, is_archived: false, is_member: true }));
		const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64') : '';
		return ok({ channels: all.slice(start, start + limit), response_metadata: { next_cursor: next } }, warnings);
	}
	if (method === 'conversations.history') {
		if (!args.channel) return fail('invalid_arguments', ['[ERROR] missing required field: channel']);
		if (!channelId(args.channel, false)) return fail('channel_not_found');
		const all = String(args.include_all_metadata) === 'true' || args.include_all_metadata === true;
		const limit = Math.min(Number(args.limit) || 100, 999);
		const latest = args.latest !== undefined ? Number(args.latest) : Infinity;
		const oldest = args.oldest !== undefined ? Number(args.oldest) : 0;
		const incl = String(args.inclusive) === 'true' || args.inclusive === true;
		const inRange = (m) => (incl ? Number(m.ts) >= oldest && Number(m.ts) <= latest : Number(m.ts) > oldest && Number(m.ts) < latest);
		const list = msgs(args.channel).filter(inRange).reverse();
		const page = list.slice(0, limit).map((m) => {
			const copy = { ...m };
			if (!all) delete copy.metadata; // metadata only with include_all_metadata
			return copy;
		});
		return ok({ messages: page, has_more: list.length > limit, pin_count: 0 }, warnings);
	}
	return fail('unknown_method');
}

// -------------------------------------------------------------- Google

const b64url = (s) => Buffer.from(s, 'base64url');
const gerr = (res, code, status, message) => reply(res, code, { error: { code, message, status } });

function googleToken(req, res, body) {
	const bad = (error, error_description) => reply(res, 400, { error, error_description });
	if (!/^application\/x-www-form-urlencoded/i.test(header(req, 'content-type'))) return bad('invalid_request', 'Invalid Content-Type');
	const form = new URLSearchParams(body);
	if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return bad('unsupported_grant_type', 'Invalid grant_type: ' + form.get('grant_type'));
	const parts = (form.get('assertion') || '').split('.');
	if (parts.length !== 3) return bad('invalid_request', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
	const head = parseJson(b64url(parts[0]).toString());
	const claims = parseJson(b64url(parts[1]).toString());
	if (!isObj(head) || !isObj(claims)) return bad('invalid_grant', 'Invalid JWT');
	if (head.alg !== 'RS256') return bad('invalid_grant', 'Invalid JWT: alg must be RS256');
	let good = false;
	try {
		const key = fs.readFileSync(env.FAKE_GOOGLE_PUBKEY);
		good = crypto.verify('RSA-SHA256', Buffer.from(parts[0] + '.' + parts[1]), key, b64url(parts[2]));
	} catch { good = false; }
	if (!good) return bad('invalid_grant', 'Invalid JWT Signature.');
	const now = Math.floor(Date.now() / 1000);
	const aud = `http://${header(req, 'host')}/token`;
	if (claims.iss !== env.FAKE_GOOGLE_ISS) return bad('invalid_grant', 'Invalid issuer');
	if (claims.aud !== aud) return bad('invalid_grant', `Invalid JWT audience: must be ${aud}`);
	if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return bad('invalid_grant', 'Invalid JWT: iat and exp are required');
	if (Math.abs(now - claims.iat) > 300 || claims.exp <= now || claims.exp - claims.iat > 3600) {
		return bad('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
	}
	if (typeof claims.scope !== 'string' || !claims.scope.trim()) return bad('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
	const token = 'fake-access-' + crypto.randomBytes(12).toString('hex');
	state.tokens[token] = { scope: claims.scope.split(' '), exp: now + 3599 };
	return reply(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
}

// Bearer check; `need` lists scopes of which one must have been granted.
function googleAuth(req, res, need) {
	const m = /^Bearer (.+)$/.exec(header(req, 'authorization'));
	const t = m && state.tokens[m[1]];
	if (!t || t.exp < Date.now() / 1000) {
		gerr(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
		return false;
	}
	const pre = 'https://www.googleapis.com/auth/';
	if (!need.some((s) => t.scope.includes(pre + s))) {
		gerr(res, 403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.');
		return false;
	}
	return true;
}

// RFC 4180 CSV, as Drive exports it (CRLF, quotes only where needed,
// rows padded to the same width).
function parseCsv(text) {
	const rows = [];
	let row = [];
	let cell = '';
	let q = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (q) {
			if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
		} else if (c === '"') q = true;
		else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
			if (c === '\r' && text[i + 1] === '\n') i++;
			row.push(cell); rows.push(row); row = []; cell = '';
		} else cell += c;
	}
	if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
	return rows;
}
function toCsv(rows) {
	const width = Math.max(0, ...rows.map((r) => r.length));
	return rows.map((r) => Array.from({ length: width }, (_, i) => {
		const v = r[i] === undefined ? '' : String(r[i]);
		return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
	}).join(',')).join('\r\n');
}

// "Stock!B2:C3", "'My Sheet'!F2", "A1" -> {sheet, r0, c0, r1, c1} (0-based; r1/c1 null if open)
function parseRange(range) {
	const m = /^(?:(?:'((?:[^']|'')+)'|([^!']+))!)?([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/.exec(range || '');
	if (!m) return null;
	const col = (s) => [...s].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
	return { sheet: m[1] ? m[1].replace(/''/g, "'") : m[2], r0: Number(m[4]) - 1, c0: col(m[3]),
		r1: m[6] ? Number(m[6]) - 1 : null, c1: m[5] ? col(m[5]) : null };
}

function google(req, res, path, body, url) {
	let m;
	if ((m = /^\/drive\/v3\/files\/([^/]+)(\/export)?$/.exec(path)) && req.method === 'GET') {
		if (!googleAuth(req, res, ['drive', 'drive.readonly', 'drive.file', 'drive.metadata.readonly'])) return;
		const id = decodeURIComponent(m[1]);
		const s = state.sheets[id];
		if (!s) return reply(res, 404, { error: { code: 404, message: `File not found: ${id}.`, errors: [{ message: `File not found: ${id}.`, domain: 'global', reason: 'notFound', location: 'fileId', locationType: 'parameter' }] } });
		if (m[2]) {
			if (!googleAuth(req, res, ['drive', 'drive.readonly', 'drive.file'])) return;
			const mime = url.searchParams.get('mimeType');
			if (!mime) return gerr(res, 400, 'INVALID_ARGUMENT', "Required parameter: mimeType");
			if (mime !== 'text/csv') return gerr(res, 400, 'INVALID_ARGUMENT', 'The requested conversion is not supported.');
			res.writeHead(200, { 'Content-Type': 'text/csv' });
			return res.end(toCsv(s.rows));
		}
		const meta = { kind: 'drive#file', id, name: s.name, mimeType: 'application/vnd.google-apps.spreadsheet',
			modifiedTime: s.modifiedTime, version: String(s.version) };
		const fields = url.searchParams.get('fields');
		if (!fields) return reply(res, 200, { kind: meta.kind, id, name: meta.name, mimeType: meta.mimeType });
		const out = {};
		for (const f of fields.split(',').map((x) => x.trim())) {
			if (!/^[A-Za-z]+$/.test(f)) return gerr(res, 400, 'INVALID_ARGUMENT', `Invalid field selection ${f}`);
			if (meta[f] !== undefined) out[f] = meta[f];
		}
		return reply(res, 200, out);
	}
	if ((m = /^\/v4\/spreadsheets\/([^/]+)\/values\/([^/:]+)$/.exec(path)) && req.method === 'GET') {
		if (!googleAuth(req, res, ['spreadsheets', 'spreadsheets.readonly', 'drive', 'drive.readonly'])) return;
		const s = state.sheets[decodeURIComponent(m[1])];
		if (!s) return gerr(res, 404, 'NOT_FOUND', 'Requested entity was not found.');
		const range = decodeURIComponent(m[2]);
		const r = parseRange(range);
		if (!r || (r.sheet && r.sheet !== s.sheet)) return gerr(res, 400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`);
		const rows = s.rows.slice(r.r0, r.r1 === null ? undefined : r.r1 + 1)
			.map((row) => row.slice(r.c0, r.c1 === null ? undefined : r.c1 + 1));
		while (rows.length && rows[rows.length - 1].every((c) => c === '')) rows.pop();
		return reply(res, 200, { range: `${s.sheet}!${range.replace(/^.*!/, '')}`, majorDimension: 'ROWS',
			values: rows.map((row) => { const x = [...row]; while (x.length && x[x.length - 1] === '') x.pop(); return x; }) });
	}
	if ((m = /^\/v4\/spreadsheets\/([^/]+)\/values:batchUpdate$/.exec(path)) && req.method === 'POST') {
		if (!googleAuth(req, res, ['spreadsheets', 'drive', 'drive.file'])) return;
		const id = decodeURIComponent(m[1]);
		const s = state.sheets[id];
		if (!s) return gerr(res, 404, 'NOT_FOUND', 'Requested entity was not found.');
		if (!/^application\/json/i.test(header(req, 'content-type'))) return gerr(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
		const j = parseJson(body);
		if (!isObj(j)) return gerr(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
		if (!j.valueInputOption) return gerr(res, 400, 'INVALID_ARGUMENT', "'valueInputOption' is required but not specified");
		// The real API also takes USER_ENTERED; the project writes RAW only
		// (a cell starting with "=" must never become a formula).
		if (j.valueInputOption !== 'RAW') return gerr(res, 400, 'INVALID_ARGUMENT', `this test server accepts valueInputOption RAW only, got ${j.valueInputOption}`);
		if (!Array.isArray(j.data)) return gerr(res, 400, 'INVALID_ARGUMENT', 'data must be a list of ValueRange');
		const responses = [];
		const plan = [];
		for (const vr of j.data) {
			const r = parseRange(vr && vr.range);
			if (!r || (r.sheet && r.sheet !== s.sheet)) return gerr(res, 400, 'INVALID_ARGUMENT', `Unable to parse range: ${vr && vr.range}`);
			const vals = Array.isArray(vr.values) ? vr.values : [];
			if (vr.majorDimension && vr.majorDimension !== 'ROWS') return gerr(res, 400, 'INVALID_ARGUMENT', 'only majorDimension ROWS here');
			const h = vals.length;
			const w = Math.max(0, ...vals.map((row) => row.length));
			if ((r.r1 !== null && r.r0 + h - 1 > r.r1) || (r.c1 !== null && r.c0 + w - 1 > r.c1)) {
				return gerr(res, 400, 'INVALID_ARGUMENT', `Requested writing within range [${vr.range}], but tried writing beyond it.`);
			}
			plan.push([r, vals]);
			const colName = (c) => { let x = ''; for (c += 1; c > 0; c = Math.floor((c - 1) / 26)) x = String.fromCharCode(65 + ((c - 1) % 26)) + x; return x; };
			responses.push({ spreadsheetId: id, updatedRange: `${s.sheet}!${colName(r.c0)}${r.r0 + 1}:${colName(r.c0 + Math.max(w, 1) - 1)}${r.r0 + Math.max(h, 1)}`,
				updatedRows: h, updatedColumns: w, updatedCells: vals.reduce((n, row) => n + row.length, 0) });
		}
		for (const [r, vals] of plan) {
			vals.forEach((row, i) => row.forEach((v, k) => {
				while (s.rows.length <= r.r0 + i) s.rows.push([]);
				const line = s.rows[r.r0 + i];
				while (line.length <= r.c0 + k) line.push('');
				line[r.c0 + k] = v === null || v === undefined ? '' : String(v);
			}));
		}
		s.modifiedTime = nowIso();
		s.version += 1;
		return reply(res, 200, { spreadsheetId: id, totalUpdatedRows: responses.reduce((n, x) => n + x.updatedRows, 0),
			totalUpdatedColumns: Math.max(0, ...responses.map((x) => x.updatedColumns)),
			totalUpdatedCells: responses.reduce((n, x) => n + x.updatedCells, 0), totalUpdatedSheets: responses.length ? 1 : 0, responses });
	}
	return gerr(res, 404, 'NOT_FOUND', 'Requested entity was not found.');
}

// ----------------------------------------------------------------- AWS

const awsErr = (res, status, type, message) => reply(res, status, { __type: type, message }, { 'x-amzn-ErrorType': type });

function awsVerify(req, res, service, body, url) {
	const rawHeaders = [];
	for (let i = 0; i < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
	const e = sigv4.verify({ method: req.method, path: url.pathname, query: url.search.slice(1), headers: rawHeaders, body },
		{ service, region: env.FAKE_AWS_REGION, accessKey: env.FAKE_AWS_ACCESS_KEY, secret: env.FAKE_AWS_SECRET });
	if (e) awsErr(res, e.status, e.type, e.message);
	return !e;
}

const validation = (res, msg) => awsErr(res, 400, 'ValidationException', msg);

function putEvents(res, j, raw) {
	const entries = j.Entries;
	if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
		return validation(res, "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1");
	}
	// Entry size as EventBridge counts it (Time 14 bytes + Source + DetailType + Detail + Resources).
	const size = entries.reduce((n, e) => n + (e.Time ? 14 : 0) + Buffer.byteLength(String(e.Source || '')) +
		Buffer.byteLength(String(e.DetailType || '')) + Buffer.byteLength(String(e.Detail || '')) +
		(e.Resources || []).reduce((k, r) => k + Buffer.byteLength(String(r)), 0), 0);
	if (size > 256 * 1024 || Buffer.byteLength(raw) > 256 * 1024) return validation(res, 'Total size of the entries in the request is over the limit.');
	let failed = 0;
	const out = entries.map((e) => {
		const bad = (ErrorCode, ErrorMessage) => { failed++; return { ErrorCode, ErrorMessage }; };
		for (const f of ['Source', 'DetailType', 'Detail']) {
			if (typeof e[f] !== 'string' || !e[f]) return bad('InvalidArgument', `Parameter ${f} is not valid. Reason: ${f} is a required argument.`);
		}
		if (!isObj(parseJson(e.Detail))) return bad('MalformedDetail', 'Detail is malformed.');
		const id = crypto.randomUUID();
		state.events.push({ EventId: id, EventBusName: e.EventBusName || 'default', Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources || [] });
		return { EventId: id };
	});
	return reply(res, 200, { FailedEntryCount: failed, Entries: out });
}

function getSecretValue(res, j) {
	if (typeof j.SecretId !== 'string' || !j.SecretId) return validation(res, 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
	const name = j.SecretId.startsWith('arn:') ? j.SecretId.replace(/^arn:aws:secretsmanager:[^:]*:\d+:secret:/, '').replace(/-[A-Za-z0-9]{6}$/, '') : j.SecretId;
	const s = state.secrets[name];
	if (!s || (j.VersionId && j.VersionId !== s.versionId) || (j.VersionStage && j.VersionStage !== 'AWSCURRENT')) {
		return awsErr(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
	}
	return reply(res, 200, { ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`, Name: name,
		VersionId: s.versionId, SecretString: s.value, VersionStages: ['AWSCURRENT'], CreatedDate: s.created });
}

function paramOut(name, p, decrypt) {
	const value = p.type === 'SecureString' && !decrypt ? Buffer.from('kms-ciphertext:' + crypto.createHash('sha256').update(p.value).digest('hex')).toString('base64') : p.value;
	return { Name: name, Type: p.type, Value: value, Version: p.version, LastModifiedDate: p.modified,
		ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`, DataType: 'text' };
}

function getParametersByPath(res, j) {
	if (typeof j.Path !== 'string' || !/^\/([\w.\-/]*)$/.test(j.Path)) return validation(res, 'The parameter path is not valid: it must start with "/".');
	const max = j.MaxResults === undefined ? 10 : j.MaxResults;
	if (!Number.isInteger(max) || max < 1 || max > 10) return validation(res, "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10");
	const prefix = j.Path.endsWith('/') ? j.Path : j.Path + '/';
	const names = Object.keys(state.params).sort().filter((n) => n.startsWith(prefix) && (j.Recursive || !n.slice(prefix.length).includes('/')));
	let start = 0;
	if (j.NextToken !== undefined) {
		start = Number(Buffer.from(String(j.NextToken), 'base64').toString().replace(/^page:/, ''));
		if (!Number.isInteger(start) || start < 0) return validation(res, 'The nextToken is not valid.');
	}
	const page = names.slice(start, start + max).map((n) => paramOut(n, state.params[n], j.WithDecryption === true));
	const out = { Parameters: page };
	if (start + max < names.length) out.NextToken = Buffer.from('page:' + (start + max)).toString('base64');
	return reply(res, 200, out);
}

function getParameter(res, j) {
	const p = state.params[j.Name];
	if (!p) return awsErr(res, 400, 'ParameterNotFound', '');
	return reply(res, 200, { Parameter: paramOut(j.Name, p, j.WithDecryption === true) });
}

const AWS_JSON = {
	'AWSEvents.PutEvents': ['events', putEvents],
	'secretsmanager.GetSecretValue': ['secretsmanager', getSecretValue],
	'AmazonSSM.GetParametersByPath': ['ssm', getParametersByPath],
	'AmazonSSM.GetParameter': ['ssm', getParameter],
};

function awsJson(req, res, body, url) {
	const target = header(req, 'x-amz-target');
	const op = AWS_JSON[target];
	const service = op ? op[0] : ({ AWSEvents: 'events', secretsmanager: 'secretsmanager', AmazonSSM: 'ssm' })[target.split('.')[0]];
	if (!service) return awsErr(res, 400, 'UnknownOperationException', '');
	if (!awsVerify(req, res, service, body, url)) return;
	if (!op) return awsErr(res, 400, 'UnknownOperationException', '');
	if (!/^application\/x-amz-json-1\.1/i.test(header(req, 'content-type'))) return awsErr(res, 400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.1');
	const j = parseJson(body);
	if (!isObj(j)) return awsErr(res, 400, 'SerializationException', 'Start of structure or map found where not expected.');
	return op[1](res, j, body);
}

// EventBridge Scheduler (REST JSON): POST/GET/DELETE /schedules/NAME[?groupName=G]
function scheduler(req, res, name, body, url) {
	if (!awsVerify(req, res, 'scheduler', body, url)) return;
	const group = url.searchParams.get('groupName') || 'default';
	const err = (status, type, Message) => reply(res, status, { Message }, { 'x-amzn-ErrorType': type });
	name = decodeURIComponent(name);
	if (!/^[0-9a-zA-Z\-_.]{1,64}$/.test(name)) return err(400, 'ValidationException', 'Schedule name must match [0-9a-zA-Z-_.]+ and be 1-64 characters.');
	const key = `${group}/${name}`;
	const arn = `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${group}/${name}`;
	const have = state.schedules[key];
	if (req.method === 'GET') {
		if (!have) return err(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
		const { ClientToken, ...out } = have; // GetSchedule does not return the token
		return reply(res, 200, out);
	}
	if (req.method === 'DELETE') {
		if (!have) return err(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
		delete state.schedules[key];
		return reply(res, 200, {});
	}
	if (req.method !== 'POST') return err(405, 'ValidationException', 'method not allowed');
	const j = parseJson(body);
	if (!isObj(j)) return err(400, 'ValidationException', 'Body must be a JSON object.');
	const problems = [];
	const x = j.ScheduleExpression;
	const at = typeof x === 'string' && /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(x);
	if (typeof x !== 'string' || !(at || /^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/.test(x) || /^cron\(.+\)$/.test(x))) problems.push(`Invalid Schedule Expression ${x}.`);
	if (at) {
		const d = new Date(Date.UTC(+at[1], +at[2] - 1, +at[3], +at[4], +at[5], +at[6]));
		if (d.getUTCMonth() !== +at[2] - 1 || d.getUTCDate() !== +at[3] || +at[4] > 23 || +at[5] > 59 || +at[6] > 59) problems.push(`Invalid Schedule Expression ${x}.`);
	}
	if (j.ScheduleExpressionTimezone !== undefined) {
		try { new Intl.DateTimeFormat('en', { timeZone: j.ScheduleExpressionTimezone }); } catch { problems.push(`Invalid time zone ${j.ScheduleExpressionTimezone}.`); }
	}
	const ftw = j.FlexibleTimeWindow;
	if (!isObj(ftw) || !['OFF', 'FLEXIBLE'].includes(ftw.Mode)) problems.push('FlexibleTimeWindow with Mode OFF or FLEXIBLE is required.');
	else if (ftw.Mode === 'FLEXIBLE' && !(Number.isInteger(ftw.MaximumWindowInMinutes) && ftw.MaximumWindowInMinutes >= 1 && ftw.MaximumWindowInMinutes <= 1440)) problems.push('MaximumWindowInMinutes must be 1-1440 when Mode is FLEXIBLE.');
	else if (ftw.Mode === 'OFF' && ftw.MaximumWindowInMinutes !== undefined) problems.push('MaximumWindowInMinutes is not allowed when Mode is OFF.');
	const t = j.Target;
	if (!isObj(t) || typeof t.Arn !== 'string' || !t.Arn.startsWith('arn:') || typeof t.RoleArn !== 'string' || !t.RoleArn.startsWith('arn:')) problems.push('Target with Arn and RoleArn is required.');
	else if (t.Input !== undefined && typeof t.Input !== 'string') problems.push('Target.Input must be a string.');
	if (j.ActionAfterCompletion !== undefined && !['NONE', 'DELETE'].includes(j.ActionAfterCompletion)) problems.push('ActionAfterCompletion must be NONE or DELETE.');
	if (j.State !== undefined && !['ENABLED', 'DISABLED'].includes(j.State)) problems.push('State must be ENABLED or DISABLED.');
	if (problems.length) return err(400, 'ValidationException', problems.join(' '));
	if (have) {
		if (j.ClientToken && have.ClientToken === j.ClientToken) return reply(res, 200, { ScheduleArn: arn });
		return err(409, 'ConflictException', `Schedule ${name} already exists.`);
	}
	const now = Date.now() / 1000;
	state.schedules[key] = { Arn: arn, Name: name, GroupName: group, ScheduleExpression: x,
		ScheduleExpressionTimezone: j.ScheduleExpressionTimezone || 'UTC', FlexibleTimeWindow: ftw, Target: t,
		ActionAfterCompletion: j.ActionAfterCompletion || 'NONE', State: j.State || 'ENABLED',
		Description: j.Description, ClientToken: j.ClientToken, CreationDate: now, LastModificationDate: now };
	return reply(res, 200, { ScheduleArn: arn });
}

// ------------------------------------------------------------- controls

function control(req, res, path, body) {
	const j = parseJson(body || '{}');
	if (req.method === 'GET' && path === '/_requests') return reply(res, 200, state.requests);
	if (req.method === 'GET' && path === '/_state') {
		const { slack: s, sheets, secrets, params, schedules, events } = state;
		return reply(res, 200, { slack: s, sheets, secrets, params, schedules, events });
	}
	if (req.method !== 'POST' || !isObj(j)) return reply(res, 400, { error: 'bad control request' });
	if (path === '/_reset') {
		state.requests = [];
		state.faults = [];
		return reply(res, 200, { ok: true });
	}
	if (path === '/_fail') {
		const delayOnly = j.status === undefined;
		state.faults.push({ path_prefix: j.path_prefix || '', status: j.status, retry_after: j.retry_after, body: j.body,
			delay_ms: j.delay_ms || 0, count: j.count !== undefined ? j.count : delayOnly ? Infinity : 1 });
		return reply(res, 200, { ok: true });
	}
	if (path === '/_sheet') {
		if (!j.id || typeof j.csv !== 'string') return reply(res, 400, { error: 'need id and csv' });
		const old = state.sheets[j.id];
		state.sheets[j.id] = { name: j.name || j.id, sheet: j.sheet || 'Sheet1', rows: parseCsv(j.csv),
			modifiedTime: j.modifiedTime || nowIso(), version: old ? old.version + 1 : 1 };
		return reply(res, 200, { ok: true });
	}
	if (path === '/_secret') {
		if (!j.name || typeof j.value !== 'string') return reply(res, 400, { error: 'need name and value' });
		state.secrets[j.name] = { value: j.value, versionId: crypto.randomUUID(), created: Date.now() / 1000 };
		return reply(res, 200, { ok: true });
	}
	if (path === '/_param') {
		if (!j.name || !j.name.startsWith('/') || typeof j.value !== 'string') return reply(res, 400, { error: 'need name (/...) and value' });
		const old = state.params[j.name];
		state.params[j.name] = { value: j.value, type: j.type || 'String', version: old ? old.version + 1 : 1, modified: Date.now() / 1000 };
		return reply(res, 200, { ok: true });
	}
	if (path === '/_s3version') {
		// {"bucket","key","body"}: a new version of an object (see s3versions)
		if (!j.bucket || !j.key || typeof j.body !== 'string') return reply(res, 400, { error: 'need bucket, key, body' });
		const k = `${j.bucket}/${j.key}`;
		const v = { VersionId: crypto.randomBytes(12).toString('hex'), body: Buffer.from(j.body),
			ETag: crypto.createHash('md5').update(j.body).digest('hex'), LastModified: new Date().toISOString() };
		(state.s3v[k] = state.s3v[k] || []).push(v);
		return reply(res, 200, { VersionId: v.VersionId });
	}
	return reply(res, 404, { error: 'no such control' });
}

// Default error bodies for injected faults, in each service's own shape.
function faultBody(path, status) {
	if (path.startsWith('/api/')) return { ok: false, error: status === 429 ? 'ratelimited' : 'internal_error' };
	if (path.startsWith('/token') || path.startsWith('/drive/') || path.startsWith('/v4/')) {
		return { error: { code: status, message: status === 429 ? 'Quota exceeded' : 'Backend Error', status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE' } };
	}
	const type = status === 429 ? 'ThrottlingException' : status === 503 ? 'ServiceUnavailableException' : 'InternalFailure';
	return { __type: type, message: status === 429 ? 'Rate exceeded' : 'Service unavailable' };
}

// ---------------------------------------------------------------- server

// ------------------------------------------------- S3 object versions
// s3rver keeps no versions, so the versioned reads of ir-sync (--versions,
// ?versionId=) are tested here: ListObjectVersions and GetObject with
// versionId, path-style under /s3v/ (AWS_ENDPOINT_URL_S3=.../s3v), SigV4
// checked with S3's rules like every AWS call.
const xmlEsc = (v) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
function s3err(res, status, code, message) {
	return reply(res, status, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEsc(message)}</Message></Error>`,
		{ 'Content-Type': 'application/xml' });
}
function s3versions(req, res, path, body, url) {
	if (!awsVerify(req, res, 's3', body, url)) return undefined;
	const parts = path.slice('/s3v/'.length).split('/');
	const bucket = decodeURIComponent(parts[0]);
	if (parts.length === 1 || parts[1] === '') {
		if (!url.searchParams.has('versions')) return s3err(res, 400, 'InvalidRequest', 'only ?versions is served here');
		const prefix = url.searchParams.get('prefix') || '';
		let rows = '';
		for (const [k, vs] of Object.entries(state.s3v)) {
			const [b, key] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];
			if (b !== bucket || !key.startsWith(prefix)) continue;
			vs.slice().reverse().forEach((v, i) => {
				rows += `<Version><Key>${xmlEsc(key)}</Key><VersionId>${v.VersionId}</VersionId><IsLatest>${i === 0}</IsLatest>` +
					`<LastModified>${v.LastModified}</LastModified><ETag>"${v.ETag}"</ETag><Size>${v.body.length}</Size></Version>`;
			});
		}
		return reply(res, 200, `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
			`<Name>${xmlEsc(bucket)}</Name><Prefix>${xmlEsc(prefix)}</Prefix><IsTruncated>false</IsTruncated>${rows}</ListVersionsResult>`,
			{ 'Content-Type': 'application/xml' });
	}
	const key = parts.slice(1).map(decodeURIComponent).join('/');
	const vs = state.s3v[`${bucket}/${key}`];
	if (!vs || !vs.length) return s3err(res, 404, 'NoSuchKey', 'The specified key does not exist.');
	const want = url.searchParams.get('versionId');
	const v = want ? vs.find((x) => x.VersionId === want) : vs[vs.length - 1];
	if (!v) return s3err(res, 404, 'NoSuchVersion', 'The specified version does not exist.');
	res.writeHead(200, { 'Content-Type': 'text/csv', ETag: `"${v.ETag}"`, 'x-amz-version-id': v.VersionId });
	return res.end(v.body);
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', async () => {
		const raw = Buffer.concat(chunks);
		const body = raw.toString('utf8');
		const url = new URL(req.url, 'http://127.0.0.1');
		const path = url.pathname;
		try {
			if (path.startsWith('/_')) return control(req, res, path, body);
			state.requests.push({ method: req.method, path: req.url, headers: req.headers, body, time: new Date().toISOString() });
			const f = state.faults.find((x) => x.count > 0 && path.startsWith(x.path_prefix));
			if (f) {
				f.count -= 1;
				if (f.delay_ms) await new Promise((r) => setTimeout(r, f.delay_ms));
				if (f.status) {
					const h = f.retry_after !== undefined ? { 'Retry-After': String(f.retry_after) } : {};
					return reply(res, f.status, f.body !== undefined ? f.body : faultBody(path, f.status), h);
				}
			}
			if (path.startsWith('/api/')) return slack(req, res, path.slice(5), body, url);
			if (path.startsWith('/s3v/')) return s3versions(req, res, path, body, url);
			if (path === '/token' && req.method === 'POST') return googleToken(req, res, body);
			if (path.startsWith('/drive/') || path.startsWith('/v4/')) return google(req, res, path, body, url);
			const sm = /^\/schedules\/([^/]+)$/.exec(path);
			if (sm) return scheduler(req, res, sm[1], body, url);
			if (path === '/' && req.method === 'POST' && header(req, 'x-amz-target')) return awsJson(req, res, body, url);
			return reply(res, 404, { error: 'not_found', path });
		} catch (e) {
			console.error(e);
			return reply(res, 500, { error: 'fake-apis internal error: ' + e.message });
		}
	});
});
server.listen(PORT, '127.0.0.1', () => console.log(`fake-apis: listening on 127.0.0.1:${PORT}`));
const stop = () => process.exit(0); // keep-alive sockets would delay close()
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
