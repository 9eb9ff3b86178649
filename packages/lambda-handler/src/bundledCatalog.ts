import { Catalog, instacartCatalog } from '@insightflow/shared-config';

/** The catalog document `stacks/build/buildLambda.ts` compiles into a zip (esbuild `define`); absent elsewhere. */
declare const __INSIGHTFLOW_CATALOG__: unknown;

/**
 * The catalog a handler runs with. In a zip built by `stacks/build/buildLambda.ts`: the one the
 * stacks were synthesised with, compiled in. Outside a bundle (tests, a handler called
 * in-process): the built-in Instacart catalog.
 */
export function bundledCatalog(): Catalog {
  return typeof __INSIGHTFLOW_CATALOG__ !== 'undefined'
    ? Catalog.fromDocument(__INSIGHTFLOW_CATALOG__, 'the catalog bundled into this function')
    : instacartCatalog();
}
