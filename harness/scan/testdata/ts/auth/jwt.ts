import { jwtVerify } from 'jose';
export async function verifyToken(t: string) {
  return jwtVerify(t, new TextEncoder().encode(process.env.JWT_SECRET));
}
