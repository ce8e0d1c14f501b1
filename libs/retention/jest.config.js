module.exports = { ...require('../../jest.preset'), displayName: 'retention', rootDir: __dirname };
