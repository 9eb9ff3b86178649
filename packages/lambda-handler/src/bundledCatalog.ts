import { Catalog, useCatalog } from '@insightflow/shared-config';

/** The catalog document `stacks/build/buildLambda.ts` compiles into a zip (esbuild `define`); absent elsewhere. */
declare const __INSIGHTFLOW_CATALOG__: unknown;

/**
 * In a zip built by `stacks/build/buildLambda.ts`, makes the catalog the stacks were synthesised with
 * the process's catalog. Outside a bundle (tests, the CLI) nothing is defined and the active
 * catalog stays as it is.
 */
export function useBundledCatalog(): void {
  if (typeof __INSIGHTFLOW_CATALOG__ !== 'undefined') {
    useCatalog(Catalog.fromDocument(__INSIGHTFLOW_CATALOG__, 'the catalog bundled into this function'));
  }
}
