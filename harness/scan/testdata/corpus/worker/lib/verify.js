'use strict';
// const jwt = require('jsonwebtoken') in a comment is never a finding.
const jwt = require('jsonwebtoken'); // want: jwt_import
const { JWT_SECRET } = process.env; // want: secret_read

function verifyJob(token) { // want: duplicate_validator
  return jwt.verify(token, JWT_SECRET, { algorithms: ['HS256'] }); // want: jwt_operation; low: secret_mention
}

const authorize = (req) => verifyJob(req.headers.authorization.slice(7)); // want: duplicate_validator

function signCallback(payload) {
  return `${process.env.CALLBACK_URL}?t=${jwt.sign(payload, process.env.JWT_SECRET)}`; // want: jwt_operation, secret_read
}

module.exports = { verifyJob, authorize, signCallback };
