/**
 * The catalog the stacks are synthesised with, and so the one bundled into every Lambda zip:
 * the file `INSIGHTFLOW_CATALOG` names, or the built-in Instacart catalog.
 */
import { readFileSync } from 'node:fs';
import {
  activeCatalog,
  Catalog,
  CatalogDocumentError,
  parseCatalogText,
  readCatalogPath,
  useCatalog,
} from '@insightflow/shared-config';

/** Makes the configured catalog the process's catalog and returns it; a bad file throws naming it. */
export function useConfiguredCatalog(): Catalog {
  const file = readCatalogPath();
  if (file === undefined) return activeCatalog();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CatalogDocumentError(file, [
      {
        path: '',
        message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check INSIGHTFLOW_CATALOG`,
      },
    ]);
  }
  const catalog = new Catalog(parseCatalogText(text, file));
  useCatalog(catalog);
  return catalog;
}
