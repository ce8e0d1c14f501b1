module.exports = { ...require('../../jest.preset'), displayName: 'actor', rootDir: __dirname };
