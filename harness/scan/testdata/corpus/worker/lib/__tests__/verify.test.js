const jwt = require('jsonwebtoken');
test('verifies', () => {
  expect(jwt.verify(jwt.sign({}, 'k'), 'k')).toBeTruthy();
});
