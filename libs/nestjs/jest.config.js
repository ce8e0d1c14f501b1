module.exports = { ...require('../../jest.preset'), displayName: 'nestjs', rootDir: __dirname };
