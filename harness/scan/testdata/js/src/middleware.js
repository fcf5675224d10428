import { verify as checkSig } from 'jsonwebtoken';

const lazy = await import('jose');

const validateToken = async (token) => {
  return checkSig(token, getKey());
};

export const decodeJWT = function (t) {
  return lazy.decodeJwt(t);
};

const cfg = { jwtSecret: getKey() };
const envName = "JWT_SECRET";

function getKey() {
  return cfg && envName;
}
