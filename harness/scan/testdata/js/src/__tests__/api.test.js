const jwt = require('jsonwebtoken');

test('signs', () => {
  expect(jwt.sign({}, process.env.JWT_SECRET)).toBeTruthy();
});
