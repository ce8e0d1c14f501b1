module.exports = { ...require('../../jest.preset'), displayName: 'core', rootDir: __dirname };
