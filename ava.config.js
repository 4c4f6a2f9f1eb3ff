export default {
  files: [
    'packages/*/test/**/*.test.ts',
    'test/**/*.test.ts',
    'examples/**/*.test.ts',
    'bench/**/*.test.ts',
  ],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx', '--conditions=@bypass/source'],
  environmentVariables: { TSX_TSCONFIG_PATH: 'tsconfig.base.json' },
  workerThreads: false,
  timeout: '2m',
};
