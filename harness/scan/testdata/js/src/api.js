// const jwt = require('jsonwebtoken') -- a comment
/* jwt.verify(token, process.env.JWT_SECRET) */
const jwt = require('jsonwebtoken'); // want: jwt_import
const { jwtDecode } = require('jwt-decode'); // want: jwt_import

const secret = process.env.JWT_SECRET; // want: secret_read

function handler(req) { // want: duplicate_validator
  const token = req.headers.authorization;
  const claims = jwt.verify(token, secret); // want: jwt_operation
  const payload = jwtDecode(token); // want: jwt_operation
  const msg = 'jwt.verify(token) uses the JWT secret';
  const re = /jwt\.sign\(['"]/;
  return `${claims.sub}: ${jwt.sign({ a: `x${payload}` }, secret)} ${msg} ${re}`; // want: jwt_operation
}

async function validateToken(token) { // want: duplicate_validator
  return jwt.verify(token, secret); // want: jwt_operation
}

module.exports = { handler, validateToken };
