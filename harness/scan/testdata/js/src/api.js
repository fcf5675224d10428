// const jwt = require('jsonwebtoken') -- a comment
/* jwt.verify(token, process.env.JWT_SECRET) */
const jwt = require('jsonwebtoken');
const { jwtDecode } = require('jwt-decode');

const secret = process.env.JWT_SECRET;

function handler(req) {
  const token = req.headers.authorization;
  const claims = jwt.verify(token, secret);
  const payload = jwtDecode(token);
  const msg = 'jwt.verify(token) uses the JWT secret';
  const re = /jwt\.sign\(['"]/;
  return `${claims.sub}: ${jwt.sign({ a: `x${payload}` }, secret)} ${msg} ${re}`;
}

async function validateToken(token) {
  return jwt.verify(token, secret);
}

module.exports = { handler, validateToken };
