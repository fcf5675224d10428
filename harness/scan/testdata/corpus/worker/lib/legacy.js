'use strict';
const jwt = require('jsonwebtoken'); // want: jwt_import

function decodeBlob(blob) {
  const jwt = Buffer.from(blob, 'base64'); // ok
  return jwt.toString('utf8'); // ok
}

function parseHeader(jwt) { // ok
  return jwt.decode(); // ok
}

const inspect = (t) => jwt.decode(t, { complete: true }); // want: duplicate_validator, jwt_operation

module.exports = { decodeBlob, parseHeader, inspect };
