/** The CDK for Terraform app (cdktf.json runs it): synthesises every stack to Terraform JSON. */
import { buildApp } from './app.js';
import { environmentSettings } from './config.js';

buildApp(environmentSettings()).synth();
