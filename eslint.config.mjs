// ESLint over the sidebar's TypeScript (`jlpm lint`): typescript-eslint's recommended rules.
// The generated payload types are checked by `make check-generated`, not linted.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/', 'node_modules/', 'jupyter_ext/', 'ui-tests/', 'src/events.generated.ts'] },
  { files: ['src/**/*.ts'], extends: [js.configs.recommended, ...tseslint.configs.recommended] },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: 'error',
      curly: 'error'
    }
  }
);
