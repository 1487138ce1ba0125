// Jest runs CommonJS through @swc/jest (decorator metadata on) because NestJS 12 and
// @kubernetes/client-node 2 ship ESM only and Jest's loader cannot require() ESM.
const esmPackages = [
  '@nestjs',
  '@kubernetes',
  'file-type',
  'openid-client',
  'oauth4webapi',
  'jose',
  'uint8array-extras',
  'strtok3',
  'token-types',
  '@tokenizer',
  '@borewit',
  'jsonpath-plus',
  'jsep',
  '@jsep-plugin',
  'rfc4648',
  'socks-proxy-agent',
  'agent-base',
  'cookie',
  'set-cookie-parser',
  'toad-cache',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/tools', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@opsagent/core/(.*)$': '<rootDir>/libs/core/src/$1',
  },
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
};
