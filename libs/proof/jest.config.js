module.exports = { ...require('../../jest.preset'), displayName: 'proof', rootDir: __dirname };
