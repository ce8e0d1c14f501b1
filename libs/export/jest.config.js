module.exports = { ...require('../../jest.preset'), displayName: 'export', rootDir: __dirname };
