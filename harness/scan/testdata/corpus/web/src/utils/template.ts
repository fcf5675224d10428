import * as jose from 'jose'; // want: jwt_import
import { config } from '../config/env';

export const banner = (): string => `secret: ${config.jwtSecret}`; // want: secret_read

export async function shareLink(p: jose.JWTPayload, k: Uint8Array): Promise<string> {
  return `https://app.example/s?t=${await new jose.SignJWT(p).setProtectedHeader({ alg: 'HS256' }).sign(k)}`; // want: jwt_operation
}

export const placeholder = '${config.jwtSecret}'; // ok
export const text = `jose.jwtVerify(token) is only text; so is config.jwtSecret`; // ok

export function bytesOf(jwt: Uint8Array): string { // ok
  return new TextDecoder().decode(jwt); // ok
}
