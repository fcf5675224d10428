/**
 * verifyToken overloads: only the implementation is a definition.
 * jwtVerify(token) in a doc comment does not count.
 */
export function verifyToken(token: string): boolean;
export function verifyToken(token: string, strict: boolean): boolean;
export function verifyToken(token: string, strict = false): boolean { // low: validator_name
  return token.length > 0 && !strict;
}

export const note = `jwtVerify(token) is only text here; so is ${'JWT secret'}`;
