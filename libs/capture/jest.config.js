module.exports = { ...require('../../jest.preset'), displayName: 'capture', rootDir: __dirname };
