import { createHash, createHmac } from 'node:crypto';

// Freshet, like AWS, refuses requests with no SigV4 Authorization at all, so raw requests are signed.
// They are signed once when built and then resent as they are: a server that verifies signatures
// accepts a repeat within its clock-skew window (AWS: 5 minutes), and every bench job is shorter.

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
const SIGNED_HEADERS = 'content-type;host;x-amz-date;x-amz-target';

const sha256Hex = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/** Headers for one Kinesis awsJson1_1 request, signed with SigV4 (dummy credentials). */
export function signedJsonHeaders({
  host,
  operation,
  body,
  region = 'us-east-1',
  accessKeyId = 'AKIDBENCH',
  secretAccessKey = 'bench-secret',
}) {
  const target = `Kinesis_20131202.${operation}`;
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const canonicalHeaders = `content-type:${JSON_CONTENT_TYPE}\nhost:${host}\nx-amz-date:${amzDate}\nx-amz-target:${target}\n`;
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, SIGNED_HEADERS, sha256Hex(body)].join('\n');
  const scope = `${day}/${region}/kinesis/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, day);
  for (const part of [region, 'kinesis', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': String(body.length),
    'X-Amz-Target': target,
    'X-Amz-Date': amzDate,
    Authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${SIGNED_HEADERS}, Signature=${signature}`,
  };
}
