import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for AWS Secrets Manager on loopback: `GetSecretValue` over the JSON 1.1 protocol,
 * from a fixed map of secrets. Secrets Manager has no local server, and the code that reads a
 * secret should still run for real; point the SDK at it with `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 */
export interface SecretsManagerStandIn {
  endpoint: string;
  /** Every SecretId asked for. */
  requested: string[];
  stop(): Promise<void>;
}

/** Starts the stand-in with `secrets` (secret ARN → SecretString). */
export async function startSecretsManagerStandIn(secrets: Record<string, string>): Promise<SecretsManagerStandIn> {
  const requested: string[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    };
    if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
      send(400, { __type: 'InvalidRequestException', message: `Not served here: ${request.headers['x-amz-target']}` });
      return;
    }
    const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId: string };
    requested.push(SecretId);
    const value = secrets[SecretId];
    if (value === undefined) {
      send(400, { __type: 'ResourceNotFoundException', message: `Secrets Manager can't find ${SecretId}.` });
      return;
    }
    send(200, { ARN: SecretId, Name: SecretId.split(':').pop(), SecretString: value, VersionId: 'v1' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requested,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
