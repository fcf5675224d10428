import * as jose from 'jose'; // want: jwt_import
import type { JwtPayload } from 'jsonwebtoken'; // want: jwt_import
import { SignJWT, jwtVerify } from 'jose'; // want: jwt_import

const JWT_SECRET_KEY: string = process.env['JWT_SECRET_KEY'] ?? ''; // want: secret_read

interface Verifier {
  verifyToken(token: string): Promise<JwtPayload>;
  decodeJWT: (token: string) => JwtPayload;
}

export class Gateway implements Verifier {
  async verifyToken(token: string): Promise<JwtPayload> { // want: duplicate_validator
    const { payload } = await jwtVerify(token, key()); // want: jwt_operation
    return payload as JwtPayload;
  }

  decodeJWT = (token: string): JwtPayload => jose.decodeJwt(token) as JwtPayload; // want: duplicate_validator, jwt_operation

  async issue(sub: string): Promise<string> {
    return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).sign(key()); // want: jwt_operation
  }
}

function key(): Uint8Array {
  return new TextEncoder().encode(JWT_SECRET_KEY); // low: secret_mention
}
