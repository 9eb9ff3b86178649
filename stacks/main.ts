/** The CDK for Terraform app (cdktf.json runs it): synthesises every stack to Terraform JSON. */

import { buildApp } from './app.js';
import { readConfiguredCatalog } from './build/configuredCatalog.js';
import { environmentSettings } from './config.js';

// INSIGHTFLOW_CATALOG, or the built-in catalog: the tables the stacks crawl and orchestrate.
const catalog = readConfiguredCatalog();
buildApp(environmentSettings(catalog), catalog).synth();
