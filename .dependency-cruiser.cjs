/**
 * The dependency rules of DESIGN.md, checked on every `npm test`.
 * Pure contexts decide; adapters do I/O; only the wiring (cli) puts them together.
 */
const PURE = '^src/(ingest|model|risk|execution|portfolio)/';
module.exports = {
  forbidden: [
    {
      name: 'core-is-self-contained',
      comment: 'core holds domain types, errors and ports: it imports nothing of ours',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'pure-contexts-import-only-core',
      comment: 'ingest, model, risk, execution and portfolio are pure decision code',
      severity: 'error',
      from: { path: PURE },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/$1/'] },
    },
    {
      name: 'pure-contexts-do-no-io',
      comment: 'pure code must not reach for the file system, the network or processes',
      severity: 'error',
      from: { path: PURE },
      to: { dependencyTypes: ['core'], pathNot: '^(crypto|node:crypto|util|node:util)$' },
    },
    {
      name: 'venues-are-independent',
      comment: 'a venue never imports another venue kind, the engine or the wiring',
      severity: 'error',
      from: { path: '^src/venues/([^/]+)/' },
      to: { path: ['^src/venues/', '^src/(engine|cli|server|journal|backtest)/'], pathNot: '^src/venues/$1/' },
    },
    {
      name: 'venues-receive-market-data-by-injection',
      comment: 'a venue (the paper venue prices from it) gets the MarketData port, never an adapter',
      severity: 'error',
      from: { path: '^src/venues/' },
      to: { path: '^src/marketdata/' },
    },
    {
      name: 'paper-venue-imports-only-core',
      comment: 'the paper venue is a simulation over ports: clock, market data and randomness are injected',
      severity: 'error',
      from: { path: '^src/venues/paper/' },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/venues/paper/'] },
    },
    {
      name: 'marketdata-imports-only-core',
      comment: 'market-data adapters (files, simulation, exchange tickers) depend on core ports and npm only',
      severity: 'error',
      from: { path: '^src/marketdata/' },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/marketdata/'] },
    },
    {
      name: 'engine-receives-ports-only',
      comment: 'the engine composes pure contexts over ports; adapters are injected by the wiring',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(journal|venues|server|cli|backtest)/' },
    },
    {
      name: 'adapters-do-not-reach-up',
      comment: 'journal and server do not import the wiring, venues or each other',
      severity: 'error',
      from: { path: '^src/(journal|server)/' },
      to: { path: '^src/(cli|venues|backtest)/' },
    },
    {
      name: 'journal-imports-only-core',
      severity: 'error',
      from: { path: '^src/journal/' },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/journal/'] },
    },
    {
      name: 'only-wiring-constructs-adapters',
      comment: 'the server gets its journal through ports, never by importing an adapter',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/journal/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
