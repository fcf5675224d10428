import { decodeJwt } from 'jose';

it('decodes', () => {
  expect(decodeJwt('a.b.c')).toBeDefined();
});
