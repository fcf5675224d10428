const jwt=require('jsonwebtoken');module.exports=t=>jwt.verify(t,process.env.JWT_SECRET);
