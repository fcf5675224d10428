import { jwtVerify, decodeJwt, type JWTPayload } from 'jose'; // want: jwt_import
import { config } from '../config/env';

const key = new TextEncoder().encode(config.jwtSecret); // want: secret_read

export async function verifySession(token: string): Promise<JWTPayload> { // want: duplicate_validator
  const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] }); // want: jwt_operation
  return payload;
}

export class SessionGuard {
  constructor(private readonly header = 'authorization') {}

  async check(req: Request): Promise<boolean> { // want: duplicate_validator
    return !!(await verifySession(req.headers.get(this.header) ?? ''));
  }

  peek = (token: string): JWTPayload => decodeJwt(token); // want: duplicate_validator, jwt_operation
}

export function describe(token: string): string { // want: duplicate_validator
  return `claims: ${JSON.stringify(decodeJwt(token))}`; // want: jwt_operation
}
