const jwt = require('jsonwebtoken');
function validateToken(t) { return jwt.verify(t, process.env.JWT_SECRET); }
module.exports = { validateToken };
