import type { SynthStack } from '../policies.js';

/** One block of a synthesised stack's Terraform JSON (a resource, a data source, a statement). */
export type Block = Record<string, unknown>;

/** A deep copy, for a test that breaks a synthesised app to see a policy catch it. */
export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** A Terraform expression as it appears in the synthesised JSON. */
export const tf = (expression: string) => `\${${expression}}`;

/** The stack of that name. */
export const stackOf = (stacks: SynthStack[], name: string) => stacks.find((s) => s.name === name) as SynthStack;

/** A stack's resources of one type, by address. */
export const resourcesOf = (stack: SynthStack, type: string) =>
  (stack.json.resource?.[type] ?? {}) as Record<string, Block>;

/** A stack's IAM policy documents (`aws_iam_policy_document` data sources), by address. */
export const documentsOf = (stack: SynthStack) =>
  (stack.json.data?.aws_iam_policy_document ?? {}) as Record<string, Block>;

/** A policy document's statements. */
export const statementsOf = (document: Block | undefined) => (document?.statement ?? []) as Block[];

/** The policy document whose name starts with `prefix` (a construct's documents carry its path and a hash). */
export const documentNamed = (stack: SynthStack, prefix: string) =>
  Object.entries(documentsOf(stack)).find(([name]) => name.startsWith(prefix))?.[1];
