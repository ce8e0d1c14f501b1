module.exports = { ...require('../../jest.preset'), displayName: 'query', rootDir: __dirname };
