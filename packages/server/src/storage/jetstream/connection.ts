/**
 * How a Freshet node reaches its NATS cluster: the server list and the ways nats.js authenticates
 * (a token, a user and password, or a `.creds` file of a JWT and nkey seed) and secures (TLS with
 * a CA, and a client certificate for mutual TLS). One connection per node serves the record store,
 * the metadata bucket and the leases: nats.js multiplexes everything over it and reconnects to
 * another server of the list by itself when one goes away.
 */

import * as fs from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';

export interface NatsTlsOptions {
  /** PEM file of the CA(s) that signed the servers' certificates (default: the system's). */
  caFile?: string;
  /** PEM certificate and key presented to the servers (mutual TLS). */
  certFile?: string;
  keyFile?: string;
}

export interface NatsConnectionOptions {
  /** Server URLs (`nats://host:4222`, `tls://host:4222`); any one of them is enough to join. */
  servers: string[];
  token?: string;
  user?: string;
  password?: string;
  /** A NATS `.creds` file (JWT and nkey seed), as `nsc` and Synadia Cloud issue them. */
  credsFile?: string;
  tls?: NatsTlsOptions;
  /** The connection's name as the servers show it (monitoring, `nats server report connections`). */
  name?: string;
}

/** The nats.js options for these settings; separate from `connectNats` so it is testable alone. */
export function natsClientOptions(options: NatsConnectionOptions): NodeConnectionOptions {
  if (options.servers.length === 0) throw new RangeError('at least one NATS server URL is needed');
  if ((options.user === undefined) !== (options.password === undefined)) {
    throw new RangeError('a NATS user needs a password, and a password a user');
  }
  const secrets = [options.token !== undefined, options.user !== undefined, options.credsFile !== undefined];
  if (secrets.filter(Boolean).length > 1) throw new RangeError('give one of a NATS token, user and password, or creds file');
  const client: NodeConnectionOptions = {
    servers: options.servers,
    name: options.name ?? 'freshet',
    // Never give up: a node whose cluster is away answers errors until it is back, then serves again.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  };
  if (options.token !== undefined) client.token = options.token;
  if (options.user !== undefined) {
    client.user = options.user;
    client.pass = options.password;
  }
  if (options.credsFile !== undefined) client.authenticator = credsAuthenticator(fs.readFileSync(options.credsFile));
  if (options.tls) client.tls = { ...options.tls };
  return client;
}

/** No server of the list could be reached (or none let us in) when the node started. */
export class NatsUnavailableError extends Error {
  constructor(servers: string[], cause: unknown) {
    super(`cannot connect to the NATS servers ${servers.join(',')}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'NatsUnavailableError';
  }
}

export async function connectNats(options: NatsConnectionOptions): Promise<NatsConnection> {
  const client = natsClientOptions(options);
  try {
    return await connect(client);
  } catch (error) {
    throw new NatsUnavailableError(options.servers, error);
  }
}
