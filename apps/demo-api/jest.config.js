module.exports = { ...require('../../jest.preset'), displayName: 'demo-api', rootDir: __dirname };
