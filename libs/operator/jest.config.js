module.exports = { ...require('../../jest.preset'), displayName: 'operator', rootDir: __dirname };
