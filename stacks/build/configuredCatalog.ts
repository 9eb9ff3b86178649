/**
 * The catalog the stacks are synthesised with, and so the one bundled into every Lambda zip:
 * the file `INSIGHTFLOW_CATALOG` names, or the built-in Instacart catalog. Each entry point (the
 * app, the bundler, the offline plan) reads it once and hands it on.
 */
import { readFileSync } from 'node:fs';
import {
  Catalog,
  CatalogDocumentError,
  instacartCatalog,
  parseCatalogText,
  readCatalogPath,
} from '@insightflow/shared-config';

/** Reads the configured catalog; a bad file throws naming it. */
export function readConfiguredCatalog(): Catalog {
  const file = readCatalogPath();
  if (file === undefined) return instacartCatalog();
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
  return new Catalog(parseCatalogText(text, file));
}
