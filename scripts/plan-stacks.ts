/** `npm run plan`: the offline plan of every stack (see `planStacks` in stacks/build/planStacks.ts). */
import { planStacks } from '../stacks/build/planStacks.js';

await planStacks();
