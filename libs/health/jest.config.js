module.exports = { ...require('../../jest.preset'), displayName: 'health', rootDir: __dirname };
