import * as jose from 'jose';
import type { JwtPayload } from 'jsonwebtoken';
import { SignJWT, jwtVerify } from 'jose';

const JWT_SECRET_KEY: string = process.env['JWT_SECRET_KEY'] ?? '';

interface Verifier {
  verifyToken(token: string): Promise<JwtPayload>;
  decodeJWT: (token: string) => JwtPayload;
}

export class Gateway implements Verifier {
  async verifyToken(token: string): Promise<JwtPayload> {
    const { payload } = await jwtVerify(token, key());
    return payload as JwtPayload;
  }

  decodeJWT = (token: string): JwtPayload => jose.decodeJwt(token) as JwtPayload;

  async issue(sub: string): Promise<string> {
    return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).sign(key());
  }
}

function key(): Uint8Array {
  return new TextEncoder().encode(JWT_SECRET_KEY);
}
