'use strict';

const REDACT = ['password', 'jwt_secret', 'JWT_SECRET']; // low: secret_mention

function isSecret(name) {
  return name === 'JWT_SECRET' || name.startsWith('JWT_SECRET_'); // low: secret_mention
}

const settings = {
  jwtSecret: readSecret(), // low: secret_mention
  queue: process.env.QUEUE_URL,
};

function readSecret() {
  return process.env['JWT_SECRET'] || ''; // want: secret_read
}

function loadJwtSecret() { // low: secret_mention
  return settings.jwtSecret; // want: secret_read
}

module.exports = { REDACT, isSecret, settings, secret: loadJwtSecret() }; // want: secret_read
