/**
 * How a request names a stream: by StreamARN (which carries account and region) or by StreamName
 * in the request's own account and region.
 */
export type { RequestContext } from '../../../core/context.js';
import type { RequestContext } from '../../../core/context.js';
import { invalidArgument } from '../errors.js';
import { streamNotFound, type LiveStream, type StreamCatalog } from './catalog.js';
import { parseStreamArn, type StreamAddress } from './streamState.js';

export interface StreamReference {
  StreamName?: string;
  StreamARN?: string;
}

/** The stream a request names, by StreamARN (which carries account and region) or StreamName. */
export function addressOf(ctx: RequestContext, ref: StreamReference): StreamAddress {
  if (ref.StreamARN !== undefined) {
    const address = parseStreamArn(ref.StreamARN);
    if (!address) throw invalidArgument(`Invalid StreamARN ${ref.StreamARN}.`);
    if (ref.StreamName !== undefined && ref.StreamName !== address.name) {
      throw invalidArgument(`StreamARN ${ref.StreamARN} and StreamName ${ref.StreamName} do not refer to the same stream.`);
    }
    return address;
  }
  if (ref.StreamName === undefined) throw invalidArgument('Either StreamName or StreamARN must be provided.');
  return { account: ctx.account, region: ctx.region, name: ref.StreamName };
}

/** The stream, in whatever status. */
export function findStream(catalog: StreamCatalog, ctx: RequestContext, ref: StreamReference): LiveStream {
  const address = addressOf(ctx, ref);
  const live = catalog.get(address);
  if (!live) throw streamNotFound(address);
  return live;
}
