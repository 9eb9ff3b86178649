/**
 * The synthesised app as AWS would hold it after `apply`: every `${…}` in the Terraform JSON
 * resolved to the value the resource would have (ARNs from the provider's ARN formats, names
 * from the configuration), across stacks through their outputs and remote-state inputs.
 *
 * Only what a deployed resource's identity depends on is computed (arn, id, name, key id, …);
 * an attribute this resolver does not know fails loudly, naming the resource and the attribute,
 * so a new kind of reference is added here rather than silently guessed.
 */
import type { SynthStack } from '../policies.js';

/** The account the resolved ARNs live in (any 12 digits: nothing is sent to AWS). */
export const ACCOUNT_ID = '123456789012';

type Json = unknown;
type Block = Record<string, Json>;

/** A resource or data source of one stack. */
interface Address {
  stack: SynthStack;
  kind: 'resource' | 'data';
  type: string;
  name: string;
}

/** A stable fake UUID for a resource, so the same key resolves to the same ARN everywhere. */
function fakeUuid(seed: string): string {
  let h = 2166136261;
  const hex: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${seed}#${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    hex.push(h.toString(16).padStart(8, '0'));
  }
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** A tiny parser for the HCL expressions cdktf writes inside `${…}`: references, literals and calls. */
type Expression =
  | { kind: 'literal'; value: Json }
  | { kind: 'reference'; path: (string | number)[] }
  | { kind: 'call'; name: string; args: Expression[] };

function parseExpression(source: string): Expression {
  let at = 0;
  const skip = () => {
    while (/\s/.test(source[at] ?? '')) at++;
  };
  const expect = (ch: string) => {
    skip();
    if (source[at] !== ch) throw new Error(`Expected "${ch}" at ${at} in \${${source}}`);
    at++;
  };
  const parse = (): Expression => {
    skip();
    const ch = source[at] ?? '';
    if (ch === '"') {
      let value = '';
      at++;
      while (source[at] !== '"') {
        if (at >= source.length) throw new Error(`Unterminated string in \${${source}}`);
        if (source[at] === '\\') at++;
        value += source[at++];
      }
      at++;
      return { kind: 'literal', value };
    }
    if (/[0-9]/.test(ch)) {
      const match = /^[0-9]+/.exec(source.slice(at)) as RegExpExecArray;
      at += match[0].length;
      return { kind: 'literal', value: Number(match[0]) };
    }
    const word = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(at));
    if (!word) throw new Error(`Cannot parse \${${source}} at ${at}`);
    at += word[0].length;
    skip();
    if (source[at] === '(') {
      at++;
      const args: Expression[] = [];
      skip();
      while (source[at] !== ')') {
        args.push(parse());
        skip();
        if (source[at] === ',') at++;
        skip();
      }
      at++;
      return { kind: 'call', name: word[0], args };
    }
    const path: (string | number)[] = [word[0]];
    for (;;) {
      if (source[at] === '.') {
        at++;
        const part = /^[A-Za-z0-9_$-]+/.exec(source.slice(at));
        if (!part) throw new Error(`Cannot parse \${${source}} at ${at}`);
        path.push(part[0]);
        at += part[0].length;
      } else if (source[at] === '[') {
        at++;
        const index = parse();
        expect(']');
        if (index.kind !== 'literal') throw new Error(`Only literal indexes are supported in \${${source}}`);
        path.push(index.value as string | number);
      } else break;
    }
    return { kind: 'reference', path };
  };
  const expression = parse();
  skip();
  if (at !== source.length) throw new Error(`Unexpected text after ${at} in \${${source}}`);
  return expression;
}

/**
 * Finds the `${…}` spans of a string, honouring nested braces and quoted strings; `$${` is
 * Terraform's escape for a literal `${` (Athena's `storage.location.template`), not a span.
 */
function interpolations(text: string): { start: number; end: number; inner: string }[] {
  const spans: { start: number; end: number; inner: string }[] = [];
  for (let i = text.indexOf('${'); i !== -1; i = text.indexOf('${', i)) {
    if (text[i - 1] === '$') {
      i += 2;
      continue;
    }
    let depth = 1;
    let j = i + 2;
    let inString = false;
    for (; j < text.length && depth > 0; j++) {
      const ch = text[j];
      if (inString) {
        if (ch === '\\') j++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    spans.push({ start: i, end: j, inner: text.slice(i + 2, j - 1) });
    i = j;
  }
  return spans;
}

/** IAM policy JSON from an `aws_iam_policy_document` data source's configuration. */
function renderPolicyDocument(config: Block): Json {
  const list = (v: Json): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  const statements = list(config.statement).map((raw) => {
    const s = raw as Block;
    const statement: Block = { Effect: s.effect ?? 'Allow' };
    if (s.sid) statement.Sid = s.sid;
    if (s.actions) statement.Action = s.actions;
    if (s.not_actions) statement.NotAction = s.not_actions;
    if (s.resources) statement.Resource = s.resources;
    if (s.not_resources) statement.NotResource = s.not_resources;
    const principals = list(s.principals) as { type: string; identifiers: string[] }[];
    if (principals.length > 0) {
      statement.Principal =
        principals.length === 1 && principals[0]?.type === '*'
          ? '*'
          : Object.fromEntries(principals.map((p) => [p.type, p.identifiers]));
    }
    const conditions = list(s.condition) as { test: string; variable: string; values: string[] }[];
    if (conditions.length > 0) {
      const condition: Record<string, Record<string, string[]>> = {};
      for (const c of conditions) {
        condition[c.test] ??= {};
        (condition[c.test] as Record<string, string[]>)[c.variable] = c.values;
      }
      statement.Condition = condition;
    }
    return statement;
  });
  if (config.source_policy_documents || config.override_policy_documents) {
    throw new Error('aws_iam_policy_document with source/override documents is not resolved by the access test');
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * A resolved view of every synthesised stack. `value()` resolves any JSON value of a stack;
 * `attribute()` gives the value a resource attribute has once applied.
 */
export class DeployedApp {
  public readonly region: string;
  private readonly stacksByName: Map<string, SynthStack>;

  public constructor(public readonly stacks: SynthStack[]) {
    this.stacksByName = new Map(stacks.map((s) => [s.name, s]));
    const provider = (stacks[0]?.json as { provider?: { aws?: { region: string }[] } }).provider;
    this.region = provider?.aws?.[0]?.region ?? 'us-east-1';
  }

  /** The stack of that name. */
  public stack(name: string): SynthStack {
    const stack = this.stacksByName.get(name);
    if (!stack) throw new Error(`No stack named ${name} in the synthesised app`);
    return stack;
  }

  /** Every resource of a type, across stacks, with its configuration resolved lazily. */
  public resources(type: string): { stack: SynthStack; name: string; config: Block }[] {
    return this.stacks.flatMap((stack) =>
      Object.entries(stack.json.resource?.[type] ?? {}).map(([name, config]) => ({ stack, name, config })),
    );
  }

  /** Resolves every `${…}` in a JSON value of `stack`. */
  public value(stack: SynthStack, value: Json): Json {
    if (typeof value === 'string') return this.resolveString(stack, value);
    if (Array.isArray(value)) return value.map((v) => this.value(stack, v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value as Block)
          .filter(([k]) => k !== '//')
          .map(([k, v]) => [k, this.value(stack, v)]),
      );
    }
    return value;
  }

  /** A resolved attribute of a resource of `stack` (`arn`, `id`, `name`, …). */
  public attribute(stack: SynthStack, type: string, name: string, attribute: string): Json {
    return this.resolveAddress({ stack, kind: 'resource', type, name }, [attribute]);
  }

  private resolveString(stack: SynthStack, text: string): Json {
    const spans = interpolations(text);
    const literal = (part: string) => part.replaceAll('$${', '${');
    if (spans.length === 0) return literal(text);
    const only = spans[0];
    if (spans.length === 1 && only && only.start === 0 && only.end === text.length) {
      return this.evaluate(stack, parseExpression(only.inner));
    }
    let out = '';
    let last = 0;
    for (const span of spans) {
      out += literal(text.slice(last, span.start));
      const resolved = this.evaluate(stack, parseExpression(span.inner));
      out += typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
      last = span.end;
    }
    return out + literal(text.slice(last));
  }

  private evaluate(stack: SynthStack, expression: Expression): Json {
    switch (expression.kind) {
      case 'literal':
        return expression.value;
      case 'call':
        return this.call(
          expression.name,
          expression.args.map((a) => this.evaluate(stack, a)),
        );
      case 'reference':
        return this.reference(stack, expression.path);
    }
  }

  private call(name: string, args: Json[]): Json {
    switch (name) {
      case 'split':
        return String(args[1]).split(String(args[0]));
      case 'element': {
        const list = args[0] as Json[];
        return list[Number(args[1]) % list.length];
      }
      case 'join':
        return (args[1] as Json[]).join(String(args[0]));
      case 'jsonencode':
        return JSON.stringify(args[0]);
      case 'tostring':
        return String(args[0]);
      default:
        throw new Error(`The access test does not evaluate ${name}(): add it to DeployedApp.call`);
    }
  }

  private reference(stack: SynthStack, path: (string | number)[]): Json {
    const [head, ...rest] = path;
    if (head === 'terraform' && rest[0] === 'workspace') return 'default';
    if (head === 'data') {
      const [type, name, ...attribute] = rest as string[];
      if (type === 'terraform_remote_state') return this.remoteOutput(name as string, attribute);
      return this.resolveAddress({ stack, kind: 'data', type: type as string, name: name as string }, attribute);
    }
    const [name, ...attribute] = rest as string[];
    return this.resolveAddress({ stack, kind: 'resource', type: head as string, name: name as string }, attribute);
  }

  /** `data.terraform_remote_state.cross-stack-reference-input-<stack>.outputs.<output>`. */
  private remoteOutput(input: string, path: (string | number)[]): Json {
    const producerName = input.replace(/^cross-stack-reference-input-/, '');
    const producer = this.stack(producerName);
    if (path[0] !== 'outputs') throw new Error(`Unexpected remote state path ${path.join('.')}`);
    const output = (producer.json as { output?: Record<string, { value: Json }> }).output?.[String(path[1])];
    if (!output) throw new Error(`Stack ${producerName} has no output ${String(path[1])}`);
    return this.value(producer, output.value);
  }

  private configOf(address: Address): Block {
    const section = address.kind === 'resource' ? address.stack.json.resource : address.stack.json.data;
    const config = section?.[address.type]?.[address.name];
    if (!config) throw new Error(`${address.stack.name}: no ${address.kind} ${address.type}.${address.name}`);
    return config as Block;
  }

  private resolveAddress(address: Address, path: (string | number)[]): Json {
    const config = this.configOf(address);
    const field = (key: string) => this.value(address.stack, config[key]) as string;
    const { region } = this;
    const [attribute, ...rest] = path;
    const where = `${address.stack.name}: ${address.type}.${address.name}.${path.join('.')}`;

    if (address.kind === 'data') {
      if (address.type === 'aws_iam_policy_document' && attribute === 'json') {
        return JSON.stringify(renderPolicyDocument(this.value(address.stack, config) as Block));
      }
      if (address.type === 'aws_ssm_parameter' && attribute === 'value') return 'ami-0123456789abcdef0';
      if (address.type === 'aws_ssm_parameter' && attribute === 'insecure_value') return 'ami-0123456789abcdef0';
      throw new Error(`The access test does not resolve ${where}`);
    }

    const arns: Record<string, () => string> = {
      aws_s3_bucket: () => `arn:aws:s3:::${field('bucket')}`,
      aws_iam_role: () => `arn:aws:iam::${ACCOUNT_ID}:role/${field('name')}`,
      aws_iam_policy: () => `arn:aws:iam::${ACCOUNT_ID}:policy/${field('name')}`,
      aws_iam_openid_connect_provider: () =>
        `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${field('url').replace(/^https:\/\//, '')}`,
      aws_kinesis_stream: () => `arn:aws:kinesis:${region}:${ACCOUNT_ID}:stream/${field('name')}`,
      aws_kms_key: () => `arn:aws:kms:${region}:${ACCOUNT_ID}:key/${fakeUuid(address.name)}`,
      aws_lambda_function: () => `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${field('function_name')}`,
      aws_cloudwatch_log_group: () => `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:${field('name')}`,
      aws_secretsmanager_secret: () => `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:${field('name')}-AbCdEf`,
      aws_kinesis_firehose_delivery_stream: () =>
        `arn:aws:firehose:${region}:${ACCOUNT_ID}:deliverystream/${field('name')}`,
      aws_sfn_state_machine: () => `arn:aws:states:${region}:${ACCOUNT_ID}:stateMachine:${field('name')}`,
      aws_glue_crawler: () => `arn:aws:glue:${region}:${ACCOUNT_ID}:crawler/${field('name')}`,
      aws_glue_catalog_database: () => `arn:aws:glue:${region}:${ACCOUNT_ID}:database/${field('name')}`,
      aws_glue_catalog_table: () =>
        `arn:aws:glue:${region}:${ACCOUNT_ID}:table/${field('database_name')}/${field('name')}`,
      aws_athena_workgroup: () => `arn:aws:athena:${region}:${ACCOUNT_ID}:workgroup/${field('name')}`,
      aws_sns_topic: () => `arn:aws:sns:${region}:${ACCOUNT_ID}:${field('name')}`,
      aws_sqs_queue: () => `arn:aws:sqs:${region}:${ACCOUNT_ID}:${field('name')}`,
      aws_cloudwatch_event_rule: () => `arn:aws:events:${region}:${ACCOUNT_ID}:rule/${field('name')}`,
      aws_db_instance: () => `arn:aws:rds:${region}:${ACCOUNT_ID}:db:${field('identifier')}`,
      aws_cloudwatch_metric_alarm: () => `arn:aws:cloudwatch:${region}:${ACCOUNT_ID}:alarm:${field('alarm_name')}`,
    };

    switch (attribute) {
      case 'arn': {
        const arn = arns[address.type];
        if (!arn) throw new Error(`The access test does not know the ARN format of ${where}`);
        return arn();
      }
      case 'id':
        if (address.type === 'aws_kms_key') return fakeUuid(address.name);
        if (address.type === 'aws_s3_bucket') return field('bucket');
        if (address.type === 'aws_iam_role' || address.type === 'aws_glue_crawler') return field('name');
        if (address.type === 'aws_sqs_queue')
          return `https://sqs.${region}.amazonaws.com/${ACCOUNT_ID}/${field('name')}`;
        if (address.type === 'aws_sns_topic') return arns.aws_sns_topic?.();
        if (address.type === 'aws_secretsmanager_secret') return arns.aws_secretsmanager_secret?.();
        return `${address.type}.${address.name}`;
      case 'key_id':
        return fakeUuid(address.name);
      case 'url':
        if (address.type === 'aws_sqs_queue')
          return `https://sqs.${region}.amazonaws.com/${ACCOUNT_ID}/${field('name')}`;
        break;
      case 'resource_id':
        if (address.type === 'aws_db_instance') return 'db-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
        break;
      case 'address':
        if (address.type === 'aws_db_instance')
          return `${field('identifier')}.abcdefghijkl.${region}.rds.amazonaws.com`;
        break;
      case 'endpoint':
        if (address.type === 'aws_db_instance')
          return `${field('identifier')}.abcdefghijkl.${region}.rds.amazonaws.com:5432`;
        break;
      case 'master_user_secret':
        if (address.type === 'aws_db_instance' && (rest.length === 0 || rest[1] === 'secret_arn')) {
          return `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:rds!db-ABCDEFGHIJKLMNOPQRSTUVWXYZ-AbCdEf`;
        }
        break;
      case 'prefix_list_id':
        return 'pl-0123456789abcdef0';
      default:
        if (attribute !== undefined && config[attribute] !== undefined && rest.length === 0) {
          return this.value(address.stack, config[attribute]);
        }
    }
    throw new Error(`The access test does not resolve ${where}: add it to DeployedApp.resolveAddress`);
  }
}
