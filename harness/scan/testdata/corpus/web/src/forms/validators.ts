export function validateTokenFormat(value: string): boolean { // low: validator_name
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}

export const checkInviteToken = (value: string): boolean => value.length === 32; // low: validator_name

export interface TokenChecks {
  verifyToken(token: string): Promise<boolean>; // ok
  decodeJWT: (token: string) => unknown; // ok
}
