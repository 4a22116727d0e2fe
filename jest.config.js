// Unit tests of the sidebar's TypeScript (src/__tests__/), run by `jlpm test`. ts-jest
// type-checks them; they run in Node, outside the built lib (tsconfig.json takes src/* only).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          target: 'ES2020',
          lib: ['DOM', 'ES2022'],
          strict: true,
          esModuleInterop: true,
          resolveJsonModule: true,
          skipLibCheck: true,
          types: ['jest', 'node']
        }
      }
    ]
  }
};
