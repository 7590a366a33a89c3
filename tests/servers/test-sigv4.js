'use strict';
// Runs the public SigV4 test suite (shared/testdata/aws-sigv4, see its
// SOURCE.md) through sigv4.js. For each case:
//   1. sign request.txt as the suite's signer does (adds X-Amz-Date, and
//      X-Amz-Content-Sha256 / X-Amz-Security-Token when the context says so)
//      and compare the canonical request, string to sign and signature with
//      header-canonical-request.txt, header-string-to-sign.txt,
//      header-signature.txt;
//   2. hand header-signed-request.txt to verify() as a server would: it must
//      pass, and must fail with a wrong secret and with a changed body.
// Usage: node test-sigv4.js [SUITE_DIR]. Last line: "N passed, N failed".
const fs = require('fs');
const path = require('path');
const sigv4 = require('./sigv4');

const suite = process.argv[2] || path.join(__dirname, '../../../shared/testdata/aws-sigv4');

// request.txt: request line, headers (a line starting with blanks continues
// the previous header), blank line, body.
function parseRequest(text) {
	const nl = text.indexOf('\n\n');
	const head = nl < 0 ? text : text.slice(0, nl);
	const body = nl < 0 ? '' : text.slice(nl + 2);
	const lines = head.split('\n');
	const first = lines.shift();
	const sp1 = first.indexOf(' ');
	const method = first.slice(0, sp1);
	const target = first.slice(sp1 + 1, first.lastIndexOf(' HTTP/'));
	const q = target.indexOf('?');
	const headers = [];
	for (const l of lines) {
		if (/^[ \t]/.test(l) && headers.length) headers[headers.length - 1][1] += '\n' + l;
		else if (l) headers.push([l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]);
	}
	return { method, path: q < 0 ? target : target.slice(0, q), query: q < 0 ? '' : target.slice(q + 1), headers, body };
}

let passed = 0;
let failed = 0;
const check = (name, ok, detail) => {
	if (ok) passed++;
	else { failed++; console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`); }
};

for (const name of fs.readdirSync(suite).sort()) {
	const dir = path.join(suite, name);
	if (!fs.existsSync(path.join(dir, 'context.json'))) continue;
	const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
	const ctx = JSON.parse(read('context.json'));
	const { access_key_id: akid, secret_access_key: secret, token } = ctx.credentials;
	const amzDate = ctx.timestamp.replace(/[-:]/g, '').replace(/\.\d+/, '');
	const date = amzDate.slice(0, 8);
	const scope = `${date}/${ctx.region}/${ctx.service}/aws4_request`;
	const normalize = ctx.normalize !== false;

	// 1. sign
	const req = parseRequest(read('request.txt'));
	req.headers.push(['X-Amz-Date', amzDate]);
	if (ctx.sign_body) req.headers.push(['X-Amz-Content-Sha256', sigv4.sha256hex(req.body)]);
	if (token && !ctx.omit_session_token) req.headers.push(['X-Amz-Security-Token', token]);
	const signed = [...new Set(req.headers.map(([n]) => n.toLowerCase()))].sort();
	const canon = sigv4.canonicalRequest(req, signed, normalize);
	const sts = sigv4.stringToSign(amzDate, scope, canon);
	const sig = sigv4.signature(secret, date, ctx.region, ctx.service, sts);
	check(`${name} canonical request`, canon === read('header-canonical-request.txt'),
		`\n--- got\n${canon}\n--- want\n${read('header-canonical-request.txt')}`);
	check(`${name} string to sign`, sts === read('header-string-to-sign.txt'));
	check(`${name} signature`, sig === read('header-signature.txt').trim(), sig);

	// 2. verify the suite's signed request as the server does
	const signedReq = parseRequest(read('header-signed-request.txt'));
	const opts = { service: ctx.service, region: ctx.region, accessKey: akid, secret, now: new Date(ctx.timestamp), normalize };
	const v = sigv4.verify(signedReq, opts);
	check(`${name} verify`, v === null, v && v.message);
	check(`${name} verify rejects a wrong secret`, sigv4.verify(signedReq, { ...opts, secret: secret + 'x' }) !== null);
	check(`${name} verify rejects a changed body`, sigv4.verify({ ...signedReq, body: signedReq.body + 'x' }, opts) !== null);
	check(`${name} verify rejects a stale date`,
		sigv4.verify(signedReq, { ...opts, now: new Date(Date.parse(ctx.timestamp) + 16 * 60000) }) !== null);
}

console.log(`sigv4: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
