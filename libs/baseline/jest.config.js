module.exports = { ...require('../../jest.preset'), displayName: 'baseline', rootDir: __dirname };
