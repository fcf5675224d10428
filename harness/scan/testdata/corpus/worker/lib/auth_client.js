'use strict';
// The sanctioned path: ask the auth service.
async function validateToken(token) { // ok
  const res = await fetch(`${process.env.AUTH_URL}/auth/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) throw new Error(`auth service: ${res.status}`);
  return res.json();
}

function verifyEmailToken(token, pending) { // low: validator_name
  return pending.has(token) && pending.get(token).expires > Date.now();
}

function checkCsrfToken(req) { // low: validator_name
  return req.headers['x-csrf-token'] === req.session.csrf;
}

module.exports = { validateToken, verifyEmailToken, checkCsrfToken };
