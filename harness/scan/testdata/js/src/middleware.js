import { verify as checkSig } from 'jsonwebtoken'; // want: jwt_import

const lazy = await import('jose'); // want: jwt_import

const validateToken = async (token) => { // want: duplicate_validator
  return checkSig(token, getKey()); // want: jwt_operation
};

export const decodeJWT = function (t) { // want: duplicate_validator
  return lazy.decodeJwt(t); // want: jwt_operation
};

const cfg = { jwtSecret: getKey() }; // low: secret_mention
const envName = "JWT_SECRET"; // low: secret_mention

function getKey() {
  return cfg && envName;
}
