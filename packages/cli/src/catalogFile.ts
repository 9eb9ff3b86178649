import { readFile } from 'node:fs/promises';
import { Catalog, InsightFlowError, instacartCatalog, parseCatalogText } from '@insightflow/shared-config';

/** The catalog file cannot be read. */
export class CatalogFileError extends InsightFlowError {
  public constructor(file: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    super(
      `Catalog file ${file} cannot be read (${reason}): check the path given by --catalog or INSIGHTFLOW_CATALOG.`,
      { cause },
    );
    this.name = 'CatalogFileError';
  }
}

/** Reads, parses and validates a catalog file (YAML or JSON). */
export async function readCatalogFile(file: string): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CatalogFileError(file, error);
  }
  return new Catalog(parseCatalogText(text, file));
}

/** The catalog a command runs with: the one in `file` (`--catalog`, `INSIGHTFLOW_CATALOG`), else the built-in one. */
export async function readConfiguredCatalog(file: string | undefined): Promise<Catalog> {
  return file === undefined ? instacartCatalog() : readCatalogFile(file);
}
