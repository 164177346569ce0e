package dev.freshet.compat;

/** The SDK's default wire format: CBOR (application/x-amz-cbor-1.1), blobs as byte strings, ms timestamps. */
class CborDataStreamsTest extends DataStreamsContract {
  @Override
  String expectedContentType() {
    return "application/x-amz-cbor-1.1";
  }
}
