// The sanctioned path: the auth service validates tokens.
export async function validateToken(token: string): Promise<{ sub: string }> { // ok
  const res = await fetch(`${import.meta.env.VITE_AUTH_URL}/auth/validate`, {
    method: 'POST',
    body: JSON.stringify({ token }),
  });
  return res.json();
}

export const verifyToken = async (token: string) => { // ok
  const res = await fetch('/api/auth/verify', { headers: { authorization: `Bearer ${token}` } });
  return res.ok;
};
