/**
 * Observable Plot, behind a module of our own so that the page's lazy `import('./plot')` (in
 * RunCompare.svelte) makes a chunk named "plot-….js" in the build, not Plot's own "src-….js".
 */
export * from '@observablehq/plot';
