'use strict';
// AWS Signature Version 4, as the receiving service checks it (header form,
// "Authorization: AWS4-HMAC-SHA256 ..."). Node built-ins only. Used by
// fake-apis.js and proved against the public test suite by test-sigv4.js.
//
// Canonical request (AWS docs, "Create a signed AWS API request"):
//   METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
//   SignedHeaders \n hex(sha256(body))
// - URI: services other than S3 normalize the path (drop "." and "..",
//   collapse "//") and URI-encode each segment of the path *as it came on the
//   wire*: an on-the-wire "%3A" becomes "%253A" (the "double encoding").
// - Query: decode each name and value, re-encode strictly (only A-Z a-z 0-9
//   - _ . ~ stay), sort by name then value; "name=" for an empty value.
// - Headers: lower-case names, values trimmed with inner runs of whitespace
//   collapsed to one space, repeated headers joined with "," in order.
const crypto = require('crypto');

const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

// Percent-encode every byte of the UTF-8 form of s except the unreserved set.
function uriEncode(s) {
	let out = '';
	for (const b of Buffer.from(s, 'utf8')) {
		const c = String.fromCharCode(b);
		out += /[A-Za-z0-9\-._~]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
	}
	return out;
}

// Decode %XX sequences into bytes (a "+" stays a "+"), read as UTF-8.
function percentDecode(s) {
	const bytes = [];
	for (let i = 0; i < s.length; i++) {
		if (s[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
			bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
			i += 2;
		} else {
			bytes.push(...Buffer.from(s[i], 'utf8'));
		}
	}
	return Buffer.from(bytes).toString('utf8');
}

// S3 differs: no normalization, and each segment is encoded once (so the
// wire form is decoded first).
function canonicalUri(rawPath, normalize, s3) {
	if (s3) return (rawPath || '/').split('/').map((x) => uriEncode(percentDecode(x))).join('/') || '/';
	let segs = (rawPath || '/').split('/');
	if (normalize) {
		const out = [];
		for (const s of segs) {
			if (s === '' || s === '.') continue;
			if (s === '..') out.pop();
			else out.push(s);
		}
		const trailing = /\/$/.test(rawPath) && out.length > 0;
		segs = [''].concat(out);
		if (trailing) segs.push('');
		if (segs.length === 1) segs.push('');
	}
	return segs.map(uriEncode).join('/') || '/';
}

function canonicalQuery(rawQuery) {
	if (!rawQuery) return '';
	return rawQuery.split('&').filter((p) => p !== '').map((p) => {
		const i = p.indexOf('=');
		const k = i < 0 ? p : p.slice(0, i);
		const v = i < 0 ? '' : p.slice(i + 1);
		return [uriEncode(percentDecode(k)), uriEncode(percentDecode(v))];
	}).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
		.map(([k, v]) => k + '=' + v).join('&');
}

// headers: [[name, value], ...] in arrival order (Node's req.rawHeaders pairs).
function headerValues(headers, lname) {
	return headers.filter(([n]) => n.toLowerCase() === lname)
		.map(([, v]) => String(v).trim().replace(/\s+/g, ' '));
}

// s3: S3's rules (path as above, payload hash taken from x-amz-content-sha256).
function canonicalRequest(req, signedHeaders, normalize = true, s3 = false) {
	const hdrs = signedHeaders.map((h) => h + ':' + headerValues(req.headers, h).join(',') + '\n').join('');
	const payload = s3 ? headerValues(req.headers, 'x-amz-content-sha256')[0] : sha256hex(req.body || '');
	return [req.method, canonicalUri(req.path, normalize && !s3, s3), canonicalQuery(req.query),
		hdrs, signedHeaders.join(';'), payload].join('\n');
}

function stringToSign(amzDate, scope, canonical) {
	return ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonical)].join('\n');
}

function signature(secret, date, region, service, sts) {
	let k = hmac('AWS4' + secret, date);
	k = hmac(k, region);
	k = hmac(k, service);
	k = hmac(k, 'aws4_request');
	return hmac(k, sts).toString('hex');
}

// Check a request as a service would (service 's3' gets S3's rules).
// req = {method, path, query, headers, body}
// (path and query raw from the request line). opts = {service, region,
// accessKey, secret, now (Date), maxSkewSec (900), normalize (true)}; region,
// accessKey and secret are checked only when given. Returns null when the
// request passes, else {status, type, message} for the error reply.
function verify(req, opts) {
	const err = (status, type, message) => ({ status, type, message });
	const auth = headerValues(req.headers, 'authorization')[0];
	if (!auth) return err(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
	const m = /^AWS4-HMAC-SHA256 (.*)$/.exec(auth);
	if (!m) return err(400, 'IncompleteSignatureException', `Unsupported AWS 'algorithm' in Authorization header.`);
	const kv = {};
	for (const part of m[1].split(',')) {
		const i = part.indexOf('=');
		if (i > 0) kv[part.slice(0, i).trim()] = part.slice(i + 1).trim();
	}
	for (const k of ['Credential', 'SignedHeaders', 'Signature']) {
		if (!kv[k]) return err(400, 'IncompleteSignatureException', `Authorization header requires '${k}' parameter.`);
	}
	const cred = kv.Credential.split('/');
	if (cred.length !== 5) return err(400, 'IncompleteSignatureException', 'Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.');
	const [akid, date, region, service, term] = cred;
	const problems = [];
	if (opts.region && region !== opts.region) problems.push(`Credential should be scoped to a valid region, not '${region}'.`);
	if (service !== opts.service) problems.push(`Credential should be scoped to correct service: '${opts.service}'.`);
	if (term !== 'aws4_request') problems.push(`Credential should be scoped with a valid terminator: 'aws4_request', not '${term}'.`);
	const amzDate = headerValues(req.headers, 'x-amz-date')[0] || '';
	if (!/^\d{8}T\d{6}Z$/.test(amzDate)) return err(400, 'IncompleteSignatureException', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.`);
	if (date !== amzDate.slice(0, 8)) problems.push(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
	if (problems.length) return err(403, 'InvalidSignatureException', problems.join(' '));
	if (!/^[0-9a-f]{64}$/.test(kv.Signature)) return err(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
	const signed = kv.SignedHeaders.split(';');
	if (!signed.includes('host')) return err(403, 'InvalidSignatureException', `'Host' must be a 'SignedHeader' in the AWS Authorization.`);
	if (!signed.includes('x-amz-date')) return err(403, 'InvalidSignatureException', `'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.`);
	if (signed.join(';') !== [...signed].sort().join(';') || signed.some((h) => h !== h.toLowerCase())) {
		return err(403, 'InvalidSignatureException', 'SignedHeaders must be lower-case and sorted.');
	}
	for (const h of signed) {
		if (!headerValues(req.headers, h).length) return err(403, 'InvalidSignatureException', `Signed header '${h}' is missing from the request.`);
	}
	const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8),
		+amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
	const now = (opts.now || new Date()).getTime();
	const skew = (opts.maxSkewSec === undefined ? 900 : opts.maxSkewSec) * 1000;
	if (Math.abs(now - t) > skew) {
		return err(403, 'InvalidSignatureException', `Signature expired: ${amzDate} is now earlier or later than the server time by more than ${skew / 60000} min.`);
	}
	if (opts.service === 's3') {
		// S3 wants the payload hash in a header, and checks it against the body.
		const ph = headerValues(req.headers, 'x-amz-content-sha256')[0];
		if (!ph) return err(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
		if (/^[0-9a-f]{64}$/.test(ph) ? ph !== sha256hex(req.body || '') : !/^(UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]+)$/.test(ph)) {
			return err(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
		}
	}
	if (opts.accessKey && akid !== opts.accessKey) return err(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
	if (opts.secret) {
		const canon = canonicalRequest(req, signed, opts.normalize !== false, opts.service === 's3');
		const want = signature(opts.secret, date, region, service, stringToSign(amzDate, cred.slice(1).join('/'), canon));
		if (!crypto.timingSafeEqual(Buffer.from(want), Buffer.from(kv.Signature))) {
			return err(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
		}
	}
	return null;
}

module.exports = { uriEncode, canonicalUri, canonicalQuery, canonicalRequest, stringToSign, signature, verify, sha256hex };
