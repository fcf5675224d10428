export interface AppConfig {
  apiUrl: string;
  jwtSecret: string; // low: secret_mention
}

export const config: AppConfig = {
  apiUrl: process.env.API_URL ?? '',
  jwtSecret: process.env.JWT_SECRET ?? '', // want: secret_read
};

export const JWT_SECRET_ENV = 'JWT_SECRET'; // low: secret_mention

export function secretFor(env: Record<string, string>): string {
  return env[JWT_SECRET_ENV]; // low: secret_mention
}

export function getJwtSecret(): string { // low: secret_mention
  return process.env['JWT_SECRET_KEY'] ?? ''; // want: secret_read
}
