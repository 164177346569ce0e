/**
 * The streams as the metadata stores them, read without opening an engine: what `freshet check`
 * needs to name each stream log it verifies, and to tell the logs no stream names (orphans).
 */
import type { MetadataStore } from '../../../storage/types.js';
import type { StreamState } from './streamState.js';

export interface StoredStream {
  account: string;
  region: string;
  name: string;
  /** The stream log's id (RecordStore.open's argument), unique per incarnation. */
  logId: string;
}

/** Every stream the metadata holds, in key order (account, region, name). */
export async function storedStreams(metadata: MetadataStore): Promise<StoredStream[]> {
  // 'streams/' starts every key streamKey() writes, as the catalogue loads them.
  return (await metadata.list<StreamState>('streams/')).map(({ value }) => ({
    account: value.account,
    region: value.region,
    name: value.name,
    logId: value.id,
  }));
}
