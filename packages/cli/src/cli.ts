/** The `insightflow` executable's entry point (loaded by bin/insightflow.js). */
import { main } from './main.js';

process.exitCode = await main(process.argv);
