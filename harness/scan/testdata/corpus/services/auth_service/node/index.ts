import { SignJWT, jwtVerify } from 'jose';
export const issue = (sub: string) => new SignJWT({ sub }).sign(new TextEncoder().encode(process.env.JWT_SECRET));
export const validateToken = (t: string) => jwtVerify(t, new TextEncoder().encode(process.env.JWT_SECRET));
