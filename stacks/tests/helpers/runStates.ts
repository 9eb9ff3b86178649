import type { Block } from './terraformJson.js';

/**
 * Runs the top-level states of a definition from `startAt`, with every Task answered by `task`
 * (JSONPath subset: `$.a.b` paths, Result/Parameters/ResultSelector/ResultPath, States.MathAdd, Choice with
 * BooleanEquals / NumericGreaterThanEquals / And). Returns the final state and the tasks run.
 */
export function runStates(
  definition: { States: Record<string, Block> },
  startAt: string,
  task: (name: string, round: number) => unknown,
): { end: Block; tasks: string[] } {
  const get = (data: unknown, jsonPath: string): unknown =>
    jsonPath
      .slice(2)
      .split('.')
      .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data);
  const set = (data: Record<string, unknown>, jsonPath: string, value: unknown) => {
    const keys = jsonPath.slice(2).split('.');
    let target = data;
    for (const key of keys.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[keys.at(-1) as string] = value;
  };
  const evaluate = (expression: string, data: unknown): unknown => {
    const add = /^States\.MathAdd\((\$[\w.]+), *(-?\d+)\)$/.exec(expression);
    return add ? Number(get(data, add[1] as string)) + Number(add[2]) : get(data, expression);
  };
  const matches = (rule: Block, data: unknown): boolean => {
    if (rule.And) return (rule.And as Block[]).every((r) => matches(r, data));
    const value = get(data, rule.Variable as string);
    if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
    if ('NumericGreaterThanEquals' in rule) return Number(value) >= Number(rule.NumericGreaterThanEquals);
    throw new Error(`runStates does not know the rule ${JSON.stringify(rule)}`);
  };
  const data: Record<string, unknown> = {};
  const tasks: string[] = [];
  let name = startAt;
  for (let step = 0; step < 10_000; step++) {
    const state = definition.States[name] as Block;
    let next = state.Next as string | undefined;
    if (state.Type === 'Pass' || state.Type === 'Task') {
      const select = (template: Record<string, string>, from: unknown) =>
        Object.fromEntries(
          Object.entries(template).map(([key, expression]) =>
            key.endsWith('.$') ? [key.slice(0, -2), evaluate(expression, from)] : [key, expression],
          ),
        );
      let result: unknown;
      if (state.Type === 'Task') {
        tasks.push(name);
        const output = task(name, tasks.filter((t) => t === name).length);
        result = state.ResultSelector ? select(state.ResultSelector as Record<string, string>, output) : output;
      } else {
        result = state.Parameters ? select(state.Parameters as Record<string, string>, data) : state.Result;
      }
      if (state.ResultPath) set(data, state.ResultPath as string, result);
    } else if (state.Type === 'Choice') {
      next = ((state.Choices as Block[]).find((rule) => matches(rule, data))?.Next ?? state.Default) as string;
    } else {
      return { end: state, tasks };
    }
    name = next as string;
  }
  throw new Error('the state machine did not stop within 10 000 transitions');
}
